"""muscle_mm: MUSCLE (multi-task self-supervised continual learning) for X-ray, on OpenMMLab 2.x.

``requirements/*.txt`` are the one source of the dependencies (read here as mmpretrain's setup.py
does): ``runtime.txt`` is ``install_requires``, the extras are ``dicom`` (permissive decoders for
JPEG-LS / JPEG Lossless DICOM), ``dicom-gpl`` (GPL-3.0 libjpeg, also 12-bit JPEG Extended),
``tests`` and ``all`` (dicom + tests; never the GPL extra). torch/torchvision and mmcv built with
its ops (``torch.txt``, ``mmcv.txt``, ``build.txt``) are installed by ``make``
(tools/setup_env.sh), not by pip from here: mmcv must be compiled against the torch already
installed. See docs/dependencies.md.
"""
import os.path as osp
import re
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version():
    ns = {}
    with open(osp.join(HERE, 'muscle_mm', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


def parse_requirements(fname):
    """The requirement lines of ``requirements/<fname>``: comments and blank lines dropped,
    ``-r other.txt`` followed; anything else pip-only (``-c``, ``--index-url``) is refused."""
    reqs = []
    with open(osp.join(HERE, 'requirements', fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if line.startswith('-r '):
                reqs += parse_requirements(line[3:].strip())
            elif line.startswith('-'):
                raise ValueError(f'requirements/{fname}: option {line!r} is not a requirement')
            else:
                reqs.append(re.sub(r'\s+', '', line))
    return reqs


EXTRAS = {
    'dicom': parse_requirements('dicom.txt'),
    'dicom-gpl': parse_requirements('dicom_gpl.txt'),
    'tests': parse_requirements('tests.txt'),
}
EXTRAS['all'] = EXTRAS['dicom'] + EXTRAS['tests']

if __name__ == '__main__':
    setup(
        name='muscle_mm',
        version=read_version(),
        description='MUSCLE X-ray pre-training (MD-MoCo + multi-task continual learning) '
        'as an OpenMMLab plugin',
        long_description=open(osp.join(HERE, 'README.md')).read(),
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
        python_requires='>=3.9',
        install_requires=parse_requirements('runtime.txt'),
        extras_require=EXTRAS,
        license='Apache-2.0',
        zip_safe=False,
    )
