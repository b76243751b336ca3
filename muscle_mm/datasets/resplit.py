"""What the datasets MUSCLE re-splits (PneumoniaCXR, MURA, TBX11K, ChestXrayMasks) share: the
split arguments and how a split is drawn, grouped and saved."""
from typing import Dict, List, Optional, Sequence

from mmengine.logging import print_log

from .base import check_split, check_split_mode
from .splits import SPLIT_NAMES, default_split_file, load_or_create_split, with_duplicates_joined


class MuscleSplitMixin:
    """``split`` / ``split_mode`` / ``seed`` / ``split_file`` / ``split_dir`` / ``proportions``
    of a re-split dataset, set in :meth:`init_split` and drawn in :meth:`draw_split`.

    Groups: the dataset's patient ids (or one group per image), joined with every md5-identical
    file, so no split holds one copy of an image while another holds the other. The rule has a
    version (``GROUPING_VERSION``, recorded in the split file); a split file drawn under another
    version is refused (see :func:`~muscle_mm.datasets.splits.load_or_create_split`).
    """

    #: Registered name, used in the split file name and recorded in it.
    SPLIT_DATASET: str = ''
    #: Version of the grouping rule. 1: patient ids only (and NORMAL Kermany images one group
    #: each); 2: duplicate files joined, Kermany NORMAL by ``IM-NNNN``, Montgomery repeats.
    GROUPING_VERSION: int = 2
    #: What the groups are, recorded in the split file.
    GROUPING_RULE: str = 'image; md5-identical files joined'

    def init_split(self,
                   data_root: Optional[str],
                   split: str,
                   split_mode: str,
                   seed: int,
                   split_file: Optional[str],
                   split_dir: Optional[str],
                   proportions: Sequence[float],
                   why: str = "the paper's re-split or the "
                   'official one') -> None:
        name = self.SPLIT_DATASET
        check_split(name, split, SPLIT_NAMES, why)
        check_split_mode(name, split_mode)
        self.split, self.split_mode, self.seed = split, split_mode, seed
        self.split_dir = split_dir
        self.proportions = tuple(proportions)
        self.split_file = None
        if split_mode == 'muscle':
            self.split_file = split_file or (default_split_file(
                data_root, name, seed, split_dir=split_dir) if data_root is not None else None)

    def draw_split(self, items: List[str], groups: Optional[Sequence[str]], paths: List[str],
                   source: str) -> Dict[str, List[str]]:
        """Read ``self.split_file`` or draw and write it: ``items`` (keys in the file) grouped by
        ``groups`` (None: one per item) joined with the md5 duplicates among ``paths``."""
        name = self.SPLIT_DATASET

        def grouping() -> List[str]:
            base = list(groups) if groups is not None else list(items)
            joined = with_duplicates_joined(base, paths)
            merged = {g for g, j in zip(base, joined) if g != j}
            if merged:
                print_log(
                    f'{name}: {len(merged)} group(s) joined another group because they '
                    'share an md5-identical file (one copy on each side of a split would '
                    'be the same image in train and test)',
                    logger='current')
            return joined

        return load_or_create_split(
            self.split_file,
            name,
            items,
            grouping,
            self.proportions,
            self.seed,
            grouped_by=self.GROUPING_RULE,
            source=source,
            grouping_version=self.GROUPING_VERSION)

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split} ({self.split_mode})', f'Split file: \t{self.split_file}']
