"""muscle_mm: MUSCLE (multi-task self-supervised continual learning) for X-ray, on OpenMMLab 2.x.

The OpenMMLab stack (torch, mmcv built with ops, mmengine, mmpretrain, mmdet, mmseg) is pinned in
``requirements/`` and installed by ``make`` (tools/setup_env.sh); ``pip install -e .`` into an
environment you manage yourself installs only the light dependencies below. See README.
"""
from setuptools import find_packages, setup


def read_version():
    ns = {}
    with open('muscle_mm/version.py') as f:
        exec(f.read(), ns)
    return ns['__version__']


setup(
    name='muscle_mm',
    version=read_version(),
    description='MUSCLE X-ray pre-training (MD-MoCo + multi-task continual learning) '
    'as an OpenMMLab plugin',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
    python_requires='>=3.9',
    install_requires=[
        'mmengine==0.10.7', 'mmpretrain==1.2.0', 'mmdet==3.3.0', 'mmsegmentation==1.2.2',
        'ftfy', 'regex', 'pycocotools', 'pydicom>=2.4', 'scikit-learn>=1.3', 'pandas>=2.0'
    ],
    license='Apache-2.0',
    zip_safe=False,
)
