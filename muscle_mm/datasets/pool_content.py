"""Content checks of the MD-MoCo pool: one copy of each image, and no downstream val/test image.

Both use the leakage tool's matching (:mod:`.leakage`): md5 for exact copies, and the difference
hash confirmed by thumbnail correlation for re-encoded / resized copies (TBX11K stores the NLM
images as 512 px RGB, the lung-mask set keeps the NLM PNGs).
"""
from typing import Dict, List, Sequence, Tuple

from .leakage import LeakageReport, content_matches, find_leakage


def pool_duplicates(sources: Dict[str, Sequence[str]],
                    fps: dict,
                    near: bool = True,
                    max_distance: int = 48,
                    min_correlation: float = 0.995) -> Dict[str, Dict[str, str]]:
    """``{source: {dropped path: the kept path it copies}}``, the first copy kept (sources in
    order, then paths in order).

    Exact copies (md5) are dropped within and across sources; near-identical copies only across
    sources, because within one dataset two radiographs of one patient can look alike and are
    both real samples, whereas across datasets a near-identical image is the same radiograph
    re-encoded (``near=False``: exact copies only). The near search costs one hash comparison
    per (image, earlier image of another source) pair: ~13 ns on one core, so ~2 min for the
    real ~170k-image pool.
    """
    first_of_md5: Dict[str, str] = {}
    kept: List[str] = []
    out: Dict[str, Dict[str, str]] = {}
    for name, paths in sources.items():
        drop: Dict[str, str] = {}
        fresh = []
        for p in paths:
            twin = first_of_md5.setdefault(fps[p][0], p)
            if twin != p:
                drop[p] = twin
            else:
                fresh.append(p)
        if near and kept and fresh:
            for m in content_matches(fresh, kept, fps, max_distance, min_correlation):
                drop[m.eval_path] = m.pool_path
            fresh = [p for p in fresh if p not in drop]
        kept += fresh
        out[name] = drop
    return out


def downstream_in_pool(sources: Dict[str, Sequence[str]], downstream: Dict[str, Sequence[str]],
                       fps: dict, exclude: bool,
                       **match) -> Tuple[LeakageReport, Dict[str, List[str]]]:
    """The leakage report of the pool against the downstream splits, and (``exclude=True``) the
    pool images to drop so that the same check then finds nothing: every matched pool image is
    dropped and the check repeated until clean (a second copy in one source is then found too).
    """
    report = find_leakage(sources, downstream, fps=fps, **match)
    dropped: Dict[str, List[str]] = {k: [] for k in sources}
    if not exclude:
        return report, dropped
    current = {k: list(v) for k, v in sources.items()}
    check = report
    while check.has_leakage:
        for pair in check.pairs:
            hit = {m.pool_path for m in pair.matches}
            current[pair.pool] = [p for p in current[pair.pool] if p not in hit]
            dropped[pair.pool] += sorted(hit - set(dropped[pair.pool]))
        check = find_leakage(current, downstream, fps=fps, **match)
    return report, dropped
