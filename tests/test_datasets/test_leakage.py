"""Leakage between the pre-training pool and downstream splits: by name, md5, perceptual hash."""
import importlib.util
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

import muscle_mm.datasets  # noqa: F401  (registers the datasets)
from muscle_mm.datasets.base import DatasetFormatError
from muscle_mm.datasets.leakage import (NameIndex, find_leakage, fingerprints, image_folder,
                                        image_sets_from_configs, name_matches, name_stem)
from muscle_mm.datasets.synthetic import generate_all, montgomery_cxr, shenzhen_cxr
from muscle_mm.datasets.synthetic.phantom import chest_phantom, imwrite

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'check_leakage.py')


@pytest.fixture(scope='module')
def sets(tmp_path_factory):
    base = tmp_path_factory.mktemp('leak')
    mont = montgomery_cxr.generate(str(base / 'MontgomeryCXR'), num=4, seed=0)
    china = shenzhen_cxr.generate(str(base / 'ShenzhenCXR'), num=4, seed=1)
    # A downstream test split of other phantoms (no leakage) ...
    clean = str(base / 'clean')
    rng = np.random.default_rng(7)
    for i in range(4):
        imwrite(osp.join(clean, f'case{i}.png'), chest_phantom(rng, 64, 64)[0])
    # ... and one holding a Montgomery image under its own name (re-drawn, so only the name
    # matches), an exact copy under another name, and a resized + JPEG re-encoded RGB copy.
    leaky = str(base / 'leaky')
    mc_dir = osp.join(mont, 'MontgomerySet', 'CXR_png')
    sz_dir = osp.join(china, 'ChinaSet_AllFiles', 'CXR_png')
    imwrite(osp.join(leaky, 'mc+shenzhen', 'MCUCXR_0002_1.png'), chest_phantom(rng, 64, 64)[0])
    shutil.copy(osp.join(sz_dir, 'CHNCXR_0003_0.png'), osp.join(leaky, 'exact_copy.png'))
    src = cv2.imread(osp.join(mc_dir, 'MCUCXR_0004_1.png'), cv2.IMREAD_GRAYSCALE)
    big = cv2.cvtColor(cv2.resize(src, (101, 97)), cv2.COLOR_GRAY2BGR)
    cv2.imwrite(osp.join(leaky, 'resized.jpg'), big, [cv2.IMWRITE_JPEG_QUALITY, 75])
    return dict(mont=mont, china=china, clean=clean, leaky=leaky)


def pool_of(sets):
    return image_sets_from_configs([
        dict(type='MontgomeryCXR', data_root=sets['mont']),
        dict(type='ShenzhenCXR', data_root=sets['china'])
    ])


def test_name_stem_and_unique_name_keys():
    assert name_stem('/a/b/1_IM-0001-4001.dcm.png') == '1_im-0001-4001'
    assert name_stem('x/MCUCXR_0001_0.PNG') == 'mcucxr_0001_0'
    # MURA-like generic names only match with the folders that make them unique.
    pool = NameIndex(['t/p1/s1/image1.png', 't/p2/s1/image1.png', 't/p2/s1/image2.png'])
    other_patient = NameIndex(['v/p3/s1/image1.png', 'v/p3/s1/image2.png'])
    same_study = NameIndex(['v/p2/s1/image1.png', 'v/p9/s1/image1.png'])
    assert name_matches(pool, other_patient) == []
    assert name_matches(pool, same_study) == [('v/p2/s1/image1.png', 't/p2/s1/image1.png')]
    unique = NameIndex(['MontgomerySet/CXR_png/MCUCXR_0001_0.png'])
    tbx = NameIndex(['imgs/extra/mc+shenzhen/MCUCXR_0001_0.png', 'imgs/tb/tb0001.png'])
    assert len(name_matches(unique, tbx)) == 1


def test_detects_name_exact_and_resized_reencoded_copies(sets):
    pool = pool_of(sets)
    assert set(pool) == {'MontgomeryCXR[train]', 'ShenzhenCXR[train]'}
    report = find_leakage(pool, {
        'leaky': image_folder(sets['leaky']),
        'clean': image_folder(sets['clean'])
    })
    assert report.has_leakage
    pairs = {(p.pool, p.downstream): p for p in report.pairs}
    mc = pairs[('MontgomeryCXR[train]', 'leaky')]
    assert [osp.basename(m.eval_path) for m in mc.by('name')] == ['MCUCXR_0002_1.png']
    assert [(osp.basename(m.eval_path), osp.basename(m.pool_path))
            for m in mc.by('hash')] == [('resized.jpg', 'MCUCXR_0004_1.png')]
    assert mc.by('md5') == []
    sz = pairs[('ShenzhenCXR[train]', 'leaky')]
    assert [(osp.basename(m.eval_path), osp.basename(m.pool_path))
            for m in sz.by('md5')] == [('exact_copy.png', 'CHNCXR_0003_0.png')]
    assert sz.by('hash') == [] and sz.by('name') == []
    # Different phantoms, however alike, are not reported.
    assert not pairs[('MontgomeryCXR[train]', 'clean')].matches
    assert not pairs[('ShenzhenCXR[train]', 'clean')].matches
    text = report.format()
    assert 'MontgomeryCXR[train] -> leaky: 2/3 downstream images leaked' in text
    assert 'exact_copy.png' in text and 'resized.jpg' in text


def test_checks_can_be_switched_off_and_clean_report(sets):
    pool = pool_of(sets)
    names_only = find_leakage(pool, {'leaky': image_folder(sets['leaky'])}, by_content=False)
    assert sum(len(p.matches) for p in names_only.pairs) == 1
    clean = find_leakage(pool, {'clean': image_folder(sets['clean'])})
    assert not clean.has_leakage and 'No leakage found.' in clean.format()


def test_hash_cache_and_corrupt_image(sets, tmp_path):
    paths = image_folder(sets['leaky'])
    cache = str(tmp_path / 'hashes.npz')
    first = fingerprints(paths, cache_file=cache)
    assert osp.isfile(cache)
    second = fingerprints(paths, cache_file=cache)
    for p in paths:
        assert first[p][0] == second[p][0]
        assert np.array_equal(first[p][1], second[p][1])
    bad = str(tmp_path / 'truncated.png')
    with open(paths[0], 'rb') as f:
        data = f.read()
    with open(bad, 'wb') as f:
        f.write(data[:20])
    with pytest.raises(DatasetFormatError, match='truncated.png'):
        fingerprints([bad])


def load_tool():
    spec = importlib.util.spec_from_file_location('check_leakage', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cli_from_config_and_explicit_args(sets, tmp_path, capsys):
    tool = load_tool()
    cfg = tmp_path / 'leak_cfg.py'
    cfg.write_text(f"pretrain_pool = dict(type='XRayPretrainPool', datasets=["
                   f"dict(type='MontgomeryCXR', data_root={sets['mont']!r}),"
                   f"dict(type='ShenzhenCXR', data_root={sets['china']!r})])\n"
                   f"downstream_eval = [dict(type='ShenzhenCXR', data_root={sets['china']!r})]\n")
    assert tool.main([str(cfg)]) == 0  # reported, but not an error without --strict
    assert tool.main([str(cfg), '--strict', '--no-content']) == 1
    out = capsys.readouterr().out
    assert 'ShenzhenCXR[train] -> ShenzhenCXR[train]: 4/4 downstream images leaked' in out
    assert tool.main(
        ['--pool', f'MontgomeryCXR:{sets["mont"]}', '--eval-dir', sets['clean'], '--strict']) == 0
    assert 'No leakage found.' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='TYPE:DATA_ROOT'):
        tool.main(['--pool', 'MontgomeryCXR', '--eval-dir', sets['clean']])


def test_generated_nlm_copies_are_found_by_content(tmp_path):
    # As in the real data, ChestXrayMasks' CXR_png holds the Shenzhen / Montgomery images
    # themselves, so its val/test cases that the generated NLM sets also have leak by md5.
    roots = generate_all(str(tmp_path), only=['ShenzhenCXR', 'MontgomeryCXR', 'ChestXrayMasks'])
    pool = image_sets_from_configs([
        dict(type='ShenzhenCXR', data_root=roots['ShenzhenCXR']),
        dict(type='MontgomeryCXR', data_root=roots['MontgomeryCXR'])
    ])
    evals = image_sets_from_configs({
        f'ChestXrayMasks[{s}]':
        dict(type='ChestXrayMasks', data_root=roots['ChestXrayMasks'], split=s)
        for s in ('val', 'test')
    })
    report = find_leakage(pool, evals)
    matches = [m for p in report.pairs for m in p.matches]
    by_md5 = {(osp.basename(m.eval_path), osp.basename(m.pool_path))
              for m in matches if m.how == 'md5'}
    by_name = {(osp.basename(m.eval_path), osp.basename(m.pool_path))
               for m in matches if m.how == 'name'}
    assert by_md5 and by_md5 == by_name  # every shared name is the same image, and only those
    assert all(a == b for a, b in by_md5)
    assert not [m for m in matches if m.how == 'hash']  # different cases never look alike
    pool_names = {osp.basename(p) for ps in pool.values() for p in ps}
    eval_names = {osp.basename(p) for ps in evals.values() for p in ps}
    assert {a for a, _ in by_md5} == eval_names & pool_names
    assert eval_names - pool_names  # some eval cases lie beyond the small generated NLM sets
    assert 'md5: ' in report.format() and 'ChestXrayMasks[val]' in report.format()


def test_cli_repeated_options_accumulate():
    args = load_tool().parse_args([
        '--pool', 'MontgomeryCXR:a', '--pool', 'ShenzhenCXR:b', '--eval', 'TBX11K:c:val',
        'TBX11K:c:test', '--eval-dir', 'x', '--eval-dir', 'y'
    ])
    assert args.pool == ['MontgomeryCXR:a', 'ShenzhenCXR:b']
    assert args.eval == ['TBX11K:c:val', 'TBX11K:c:test'] and args.eval_dir == ['x', 'y']


def test_shipped_configs_paper_pool_leaks_leakfree_pool_does_not(tmp_path, monkeypatch, capsys):
    root = tmp_path
    generate_all(str(root / 'data'))  # the configs' data roots are data/<Name>
    monkeypatch.chdir(root)
    tool = load_tool()
    opts = [
        '--cfg-options', 'train_dataloader.dataset.match.workers=0',
        f'train_dataloader.dataset.match.cache_file={root}/hashes.npz'
    ]
    paper = osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18.py')
    assert tool.main([paper, '--strict'] + opts) == 1
    out = capsys.readouterr().out
    assert '-> ChestXrayMasks[' in out and 'downstream images leaked' in out
    free = osp.join(REPO, 'configs', 'muscle', 'mdmoco_r18_leakfree.py')
    assert tool.main([free, '--strict'] + opts) == 0
    assert 'No leakage found.' in capsys.readouterr().out
