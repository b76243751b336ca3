"""``import muscle_mm`` stays light and every subpackage imports on its own (issue 18).

Each check runs in a fresh interpreter, so nothing another test imported can hide a circle or a
heavy import. No timing here: benchmarks/import_time.py measures the cost.
"""
import json
import subprocess
import sys

import pytest

from _helpers import REPO

# What only some commands need, kept out of `import muscle_mm`: mmpretrain.models pulls in
# mmdet.models (scikit-learn, pandas), mmdet.datasets matplotlib and pycocotools, mmseg.datasets
# scipy; pydicom only DICOM readers need; torchvision comes with mmpretrain's datasets/models.
HEAVY = ('matplotlib', 'sklearn', 'pycocotools', 'scipy', 'pandas', 'pydicom', 'torchvision',
         'mmpretrain.models', 'mmpretrain.datasets', 'mmdet.models', 'mmdet.datasets',
         'mmseg.models', 'mmseg.datasets')
# Each alone in a fresh interpreter. muscle_mm.registry and muscle_mm.utils are imported by
# `import muscle_mm` itself (test_import_muscle_mm_is_light); a nested subpackage is imported
# after its parent, which these runs import.
SUBPACKAGES = ('cli', 'datasets', 'engine', 'evaluation', 'experiments', 'models', 'visualization')

# Prints {registry: sorted muscle_mm names} for every mmpretrain/mmdet/mmseg registry and the
# mmengine root registries they expose (as MMENGINE_X), keyed "registry scope.NAME"
REGISTERED = '''
import importlib, json
from mmengine.registry import Registry
out = {}
for scope in ('mmpretrain', 'mmdet', 'mmseg'):
    mod = importlib.import_module(scope + '.registry')
    for attr, reg in vars(mod).items():
        if isinstance(reg, Registry):
            names = sorted(k for k, v in reg._module_dict.items()
                           if getattr(v, '__module__', '').startswith('muscle_mm.'))
            if names:
                out[f'{reg.scope}.{attr.removeprefix("MMENGINE_")}'] = names
print(json.dumps(out))
'''


def run(code):
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


# Sets locs: muscle_mm's import locations of each registry it registers into, by "scope.NAME".
# A lookup in a scoped registry imports its locations, whose modules may register in the mmengine
# root it falls back to (VISBACKENDS): the root is credited with its children's locations.
LOCATIONS = (
    'import muscle_mm\n'
    'locs = {}\n'
    'for regs in muscle_mm.REGISTERING_SUBPACKAGES.values():\n'
    '    for r in regs:\n'
    '        name = next(k for k, v in vars(importlib.import_module(r.scope + ".registry"))'
    '.items() if v is r)\n'
    '        mods = [m for m in r._locations if m.startswith("muscle_mm")]\n'
    '        locs[f"{r.scope}.{name}"] = mods\n'
    '        if r.parent is not None:\n'
    '            root = locs.setdefault(f"{r.parent.scope}.{name}", [])\n'
    '            root += [m for m in mods if m not in root]\n')


@pytest.fixture(scope='module')
def light():
    """One fresh `import muscle_mm`: the heavy modules it loaded, what it registered, and the
    registries' muscle_mm locations."""
    code = ('import importlib, json, sys\n' + LOCATIONS +
            f'heavy = [m for m in {HEAVY!r} if m in sys.modules]\n' +
            REGISTERED.replace('print(json.dumps(out))', 'print(json.dumps([heavy, out, locs]))'))
    return json.loads(run(code))


def test_import_muscle_mm_is_light(light):
    heavy, registered, _ = light
    assert heavy == [], f'import muscle_mm imports {heavy}: import them where they are used'
    assert registered == {}, 'registration is lazy (registry locations), nothing registered yet'


@pytest.fixture(scope='module')
def registered_by_subpackage():
    """{subpackage: {registry: names}} with only that subpackage imported (one process each);
    the last one also reads the subpackages as attributes of muscle_mm (PEP 562)."""
    out = {s: json.loads(run(f'import muscle_mm.{s}\n' + REGISTERED)) for s in SUBPACKAGES}
    return out


def test_each_subpackage_imports_alone(registered_by_subpackage):
    assert set(registered_by_subpackage) == set(SUBPACKAGES)


def test_each_registry_lookup_imports_what_registers_there(light, registered_by_subpackage):
    """Every muscle_mm name in a registry is registered by a subpackage that this registry
    imports on its first lookup (muscle_mm.REGISTERING_SUBPACKAGES), so no name is missed."""
    locations = light[2]
    everything = {}
    for by_registry in registered_by_subpackage.values():
        for registry, names in by_registry.items():
            everything.setdefault(registry, set()).update(names)
    assert len(everything) >= 10 and 'MDMoCo' in everything['mmpretrain.MODELS']
    assert 'OptionalTensorboardVisBackend' in everything['mmengine.VISBACKENDS']
    # what each location module registers, imported alone (a subpackage's is already known)
    by_module = {f'muscle_mm.{s}': r for s, r in registered_by_subpackage.items()}
    for module in {m for mods in locations.values() for m in mods} - set(by_module):
        by_module[module] = json.loads(run(f'import {module}\n' + REGISTERED))
    for registry, names in everything.items():
        assert registry in locations, f'{registry} holds {names} but has no muscle_mm location'
        covered = set()
        for module in locations[registry]:
            covered |= set(by_module[module].get(registry, []))
        assert names <= covered, \
            f'{registry}: {sorted(names - covered)} not registered by {locations[registry]}'


def test_registration_after_a_registry_was_used():
    """A registry that imported its locations before `import muscle_mm` gets muscle_mm's
    modules at once (it would never read a location added later); subpackages are attributes."""
    code = ('from mmpretrain.registry import HOOKS\n'
            "assert HOOKS.get('EMAHook') is not None\n"
            'import muscle_mm\n'
            "print(HOOKS._module_dict.get('L2SPHook') is not None, "
            'muscle_mm.evaluation.__name__)')
    assert run(code) == 'True muscle_mm.evaluation'


def test_the_configs_visualizer_backend_is_found_from_each_scope(tmp_path):
    """OptionalTensorboardVisBackend registers in mmengine's root VISBACKENDS; a config that
    imports only `muscle_mm` finds it from the mmpretrain, mmdet and mmseg scopes (their
    registries' first lookup imports it)."""
    code = ('import muscle_mm\n'
            'from mmengine.registry import DefaultScope, VISBACKENDS\n'
            'out = []\n'
            'for scope in ("mmpretrain", "mmdet", "mmseg"):\n'
            '    with DefaultScope.overwrite_default_scope(scope):\n'
            '        b = VISBACKENDS.build(dict(type="OptionalTensorboardVisBackend",\n'
            f'                                   save_dir={str(tmp_path)!r}))\n'
            '    out.append(type(b).__name__)\n'
            'print(",".join(out))')
    assert run(code) == ','.join(['OptionalTensorboardVisBackend'] * 3)
