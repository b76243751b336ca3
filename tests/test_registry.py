"""`import muscle_mm` / `custom_imports` registers every module where stock configs look for it."""
import subprocess
import sys

import pytest

EXPECTED = {
    'mmpretrain.registry.DATASETS': [
        'NIHChestXray14', 'ShenzhenCXR', 'MontgomeryCXR', 'IndianaCXR', 'RSNABoneAge',
        'PneumoniaCXR', 'MURA', 'XRayPretrainPool', 'XRayFolder'
    ],
    'mmseg.registry.DATASETS': ['ChestXrayMasks'],
    'mmdet.registry.DATASETS': ['TBX11K'],
    'mmpretrain.registry.TRANSFORMS': ['LoadXRayImage', 'LoadResizedXRay'],
    'mmdet.registry.TRANSFORMS': ['LoadXRayImage'],
    'mmseg.registry.TRANSFORMS': ['LoadXRayImage', 'LoadXRayLungMask'],
    'mmpretrain.registry.MODELS': [
        'MDMoCo', 'MultiTaskModel', 'MultiTaskDataPreprocessor', 'MultiViewDataPreprocessor',
        'XRayViews', 'SplitBN'
    ],
    'mmpretrain.registry.HOOKS': ['MoCoQueueCheckHook', 'L2SPHook', 'ContinualMetricsHook'],
    'mmpretrain.registry.LOOPS':
    ['MultiTaskContinualLoop', 'MultiTaskValLoop', 'MultiTaskTestLoop'],
    'mmpretrain.registry.PARAM_SCHEDULERS': ['CyclicCosineLR'],
    'mmpretrain.registry.LOG_PROCESSORS': ['MultiTaskLogProcessor'],
    'mmpretrain.registry.METRICS': ['BinaryClsMetric', 'MURAStudyMetric'],
    'mmseg.registry.METRICS': ['DiceIoUMetric'],
    'mmdet.registry.METRICS': ['ClasswiseAP50Metric'],
}


def test_import_registers_everything_in_a_fresh_process():
    """A fresh interpreter, so nothing imported by other tests can hide a missing import."""
    checks = '; '.join(
        f"import {reg.rsplit('.', 1)[0]} as m{i}; "
        f"missing += [n for n in {names!r} if m{i}.{reg.rsplit('.', 1)[1]}.get(n) is None]"
        for i, (reg, names) in enumerate(EXPECTED.items()))
    code = f'import muscle_mm; missing = []; {checks}; print(missing)'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == '[]'


@pytest.mark.parametrize('base,scope,dataset', [
    ('mmdet::_base_/default_runtime.py', 'mmdet', 'TBX11K'),
    ('mmseg::_base_/default_runtime.py', 'mmseg', 'ChestXrayMasks'),
    ('mmpretrain::_base_/default_runtime.py', 'mmpretrain', 'PneumoniaCXR'),
])
def test_custom_imports_in_stock_configs(tmp_path, base, scope, dataset):
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(
        f"_base_ = ['{base}']\n"
        "custom_imports = dict(imports=['muscle_mm'], allow_failed_imports=False)\n")
    code = (
        'from mmengine.config import Config; from mmengine.registry import DATASETS, '
        f'TRANSFORMS, init_default_scope; c = Config.fromfile({str(cfg_file)!r}); '
        f"init_default_scope(c.default_scope); assert c.default_scope == {scope!r}; "
        # what the builders do: look up under the config's default scope
        "ds = DATASETS.switch_scope_and_registry(None).__enter__(); "
        "tr = TRANSFORMS.switch_scope_and_registry(None).__enter__(); "
        f"assert ds.scope == {scope!r} and ds.get({dataset!r}) is not None; "
        "assert tr.get('LoadXRayImage') is not None; print('ok')")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith('ok'), out.stderr[-3000:]
