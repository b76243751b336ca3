"""Find pre-training images that are also in a downstream val/test split.

MUSCLE pre-trains on the training sets of nine datasets; several of them share images (Montgomery
and Shenzhen CXRs reappear in TBX11K's ``imgs/extra/mc+shenzhen`` and in the Kaggle lung-mask set's
``CXR_png``). An image seen during MD-MoCo that is later used to evaluate a downstream task
inflates that task's score, so before reporting numbers the pool is checked against every
downstream evaluation split:

* by name: the file stem (all extensions stripped, case-folded), lengthened by parent folders
  until it is unique inside each of the two sets compared, so generic names such as MURA's
  ``image1`` do not match across patients (:class:`NameIndex`);
* by exact content: md5 of the file bytes;
* by near-identical content: a 256-bit difference hash of a 17x16 gray thumbnail picks candidate
  pairs (at most ``max_distance`` differing bits), and the correlation of their 32x32 gray
  thumbnails confirms them (at least ``min_correlation``). Both survive resizing (also to another
  aspect ratio), re-encoding (PNG/JPEG), 8/16-bit and RGB/gray conversion and contrast changes;
  the correlation separates a copy from a different patient's similar-looking radiograph, which
  a 256-bit hash alone cannot. For every evaluation image the best-correlated pool image is
  reported.

Modules: :mod:`.names` (name keys), :mod:`.fingerprints` (content hashes and their cache),
:mod:`.report` (the check and its report), :mod:`.image_sets` (image sets from dataset configs
or folders).
"""
from .fingerprints import CACHE_VERSION, HASH_SIZE, THUMB_SIZE, dhash, fingerprints, thumbnail
from .image_sets import dataset_image_paths, image_folder, image_sets_from_configs
from .names import NameIndex, name_matches, name_stem
from .report import LeakageReport, Match, PairLeak, content_matches, find_leakage

__all__ = [
    'CACHE_VERSION', 'HASH_SIZE', 'THUMB_SIZE', 'dhash', 'fingerprints', 'thumbnail',
    'dataset_image_paths', 'image_folder', 'image_sets_from_configs', 'NameIndex', 'name_matches',
    'name_stem', 'LeakageReport', 'Match', 'PairLeak', 'content_matches', 'find_leakage'
]
