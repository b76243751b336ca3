"""TBX11K tuberculosis detection (active and latent TB boxes, COCO json), for mmdet."""
import copy
import json
import logging
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmdet.datasets import CocoDataset
from mmengine.fileio import get_local_path
from mmengine.logging import print_log

from muscle_mm.registry import MMDET_DATASETS
from .base import DatasetFormatError, check_not_empty, first_existing, require_dir, require_file
from .resplit import MuscleSplitMixin
from .splits import PAPER_SPLITS, SPLIT_NAMES, atomic_write_json

#: Every category name the official jsons use; id 3 (uncertain TB) never has a train/val box.
TBX_CATEGORIES = ('ActiveTuberculosis', 'ObsoletePulmonaryTuberculosis', 'PulmonaryTuberculosis')


def clip_box(bbox: Sequence[float], width: float, height: float,
             where: str) -> Tuple[List[float], bool]:
    """Clip a COCO ``[x, y, w, h]`` box to the image; return it and whether it changed.

    A box with no area inside the image, or thinner than 1 px once clipped, cannot be repaired
    and raises :class:`DatasetFormatError` naming ``where``.
    """
    if len(bbox) != 4:
        raise DatasetFormatError(f'{where}: bbox {bbox} is not [x, y, w, h]')
    x, y, w, h = (float(v) for v in bbox)
    if x >= 0 and y >= 0 and x + w <= width and y + h <= height and w >= 1 and h >= 1:
        return [x, y, w, h], False
    x1, y1 = max(x, 0.0), max(y, 0.0)
    x2, y2 = min(x + w, float(width)), min(y + h, float(height))
    if x2 - x1 < 1 or y2 - y1 < 1:
        raise DatasetFormatError(
            f'{where}: bbox {list(bbox)} lies outside the {width}x{height} image or is thinner '
            'than 1 px')
    return [x1, y1, x2 - x1, y2 - y1], True


#: (json, annotation id) of every clipped box already reported in this process: each split
#: dataset re-reads the same json, and one box should be reported once.
_REPORTED_CLIPS: set = set()


def report_clipped(json_path: str, clipped: List[tuple]) -> None:
    """One warning naming each clipped box (image, annotation id, box before and after) that
    this process has not reported yet."""
    new = [c for c in clipped if (json_path, c[1]) not in _REPORTED_CLIPS]
    if not new:
        return
    _REPORTED_CLIPS.update((json_path, c[1]) for c in new)
    shown = '; '.join(f'annotation {aid} of {img}: {[round(v, 1) for v in old]} -> '
                      f'{[round(v, 1) for v in box]}' for img, aid, old, box in new[:10])
    more = f'; and {len(new) - 10} more' if len(new) > 10 else ''
    print_log(
        f'TBX11K: {len(new)} box(es) of {json_path} reached outside their image and were '
        f'clipped to it ([x, y, w, h]): {shown}{more}',
        logger='current',
        level=logging.WARNING)


def check_categories(cats: List[dict], path: str, classes: Sequence[str]) -> dict:
    """``{category id: name}``; unknown names, or a class missing from the json, raise."""
    names = {c['id']: c['name'] for c in cats}
    unknown = sorted(set(names.values()) - set(TBX_CATEGORIES))
    if unknown:
        raise DatasetFormatError(
            f'{path}: unknown category name(s) {unknown}; TBX11K uses {TBX_CATEGORIES}')
    missing = [c for c in classes if c not in names.values()]
    if missing:
        raise DatasetFormatError(f'{path}: categories {missing} are missing from the json')
    return names


@MMDET_DATASETS.register_module()
class TBX11K(MuscleSplitMixin, CocoDataset):
    """TBX11K chest X-rays with active TB and latent TB boxes.

    Paper: MUSCLE, https://arxiv.org/abs/2310.02000 (Tab. 1: TB images of trainval re-split
    640/80/80); data: Liu et al., CVPR 2020, https://github.com/yun-liu/Tuberculosis.

    Layout under ``data_root`` (``TBX11K.zip`` unpacked; its top ``TBX11K/`` folder may be kept)::

        imgs/{health,sick,tb,test,extra/...}/*.png
        annotations/json/TBX11K_{train,val,trainval}[_only_tb].json

    Classes are ``ActiveTuberculosis`` (active TB) and ``ObsoletePulmonaryTuberculosis`` (latent
    TB), mapped from the json categories **by name** (so the labels do not depend on the json's
    id order). Category id 3 ``PulmonaryTuberculosis`` (uncertain TB) has no train/val box; a
    box of it, of an unknown category id, or an unknown category name raises
    :class:`DatasetFormatError` naming the json. A box partly outside its image is clipped to it
    (one warning names each such box, its image and annotation id); a box with no area inside
    the image raises. A listed image that does
    not exist raises. Images with no box are kept; drop them in training as mmdet does, with
    ``filter_cfg=dict(filter_empty_gt=True)`` (ignored when ``test_mode=True``). A config may
    narrow ``metainfo=dict(classes=(...))`` to one of the two classes; boxes of the other are then
    not loaded, as in mmdet.

    ``split_mode='muscle'`` takes the TB images (``tb/``) of ``TBX11K_trainval_only_tb.json``
    (else of ``TBX11K_trainval.json``), splits them image-level (md5-identical files kept
    together) by ``proportions`` from ``seed``
    into ``split_file`` and writes each split as a COCO json beside it,
    ``<split_file stem>_{train,val,test}.json`` (boxes clipped as above), which is this
    dataset's ``ann_file`` and the ``ann_file`` that mmdet's ``CocoMetric`` needs, e.g.
    ``data/TBX11K/muscle_mm_splits/TBX11K_seed0_val.json`` by default.
    ``split_mode='official'`` reads ``TBX11K_{train,val}[_only_tb].json``; the official test
    labels are hidden, so 'test' raises.

    Args:
        data_root (str): Dataset root. Defaults to 'data/TBX11K'.
        split (str): 'train', 'val' or 'test'. Defaults to 'train'.
        split_mode (str): 'muscle' or 'official'. Defaults to 'muscle'.
        only_tb (bool): With 'official', read the ``_only_tb`` json (TB images only).
            Defaults to False.
        seed (int): Seed of the 'muscle' split. Defaults to 0.
        split_file (str, optional): Where the 'muscle' split is saved and read back. Defaults to
            None: ``<split_dir>/TBX11K_seed<seed>.json``.
        proportions (Sequence[float]): train/val/test proportions. Defaults to the paper's
            (640, 80, 80).
        split_dir (str, optional): Folder of the default split file. Defaults to None:
            ``<data_root>/muscle_mm_splits``.
        **kwargs: Other arguments of :class:`mmdet.datasets.CocoDataset` (``pipeline``,
            ``filter_cfg``, ``test_mode``, ...); ``data_prefix`` defaults to ``dict(img='imgs/')``.
    """

    METAINFO = dict(
        classes=('ActiveTuberculosis', 'ObsoletePulmonaryTuberculosis'),
        palette=[(220, 20, 60), (0, 128, 255)])
    SPLIT_DATASET = 'TBX11K'
    GROUPING_RULE = 'image (no patient ids); md5-identical files joined'

    def __init__(self,
                 data_root: str = 'data/TBX11K',
                 split: str = 'train',
                 split_mode: str = 'muscle',
                 only_tb: bool = False,
                 seed: int = 0,
                 split_file: Optional[str] = None,
                 proportions: Sequence[float] = PAPER_SPLITS['TBX11K'],
                 split_dir: Optional[str] = None,
                 **kwargs) -> None:
        self.init_split(data_root, split, split_mode, seed, split_file, split_dir, proportions)
        if 'ann_file' in kwargs:
            raise ValueError('TBX11K: ann_file is chosen by split/split_mode; use mmdet '
                             'CocoDataset directly for another json')
        root = self.find_root(data_root)
        json_dir = osp.join(root, 'annotations', 'json')
        if split_mode == 'official':
            if split == 'test':
                raise DatasetFormatError(
                    'TBX11K: the official test labels are hidden (Codabench); use '
                    "split='val', or split_mode='muscle'")
            suffix = '_only_tb' if only_tb else ''
            ann_file = osp.abspath(
                require_file(
                    osp.join(json_dir, f'TBX11K_{split}{suffix}.json'), 'TBX11K annotations'))
        else:
            ann_file = self.write_muscle_split(root, json_dir)[split]
        kwargs.setdefault('data_prefix', dict(img='imgs/'))
        super().__init__(ann_file=ann_file, data_root=root, **kwargs)

    @staticmethod
    def find_root(data_root: str) -> str:
        """``data_root`` or its ``TBX11K/`` child: the folder holding imgs/ and annotations/."""
        require_dir(data_root, 'TBX11K data_root')
        for c in (data_root, osp.join(data_root, 'TBX11K')):
            if osp.isdir(osp.join(c, 'imgs')) and osp.isdir(osp.join(c, 'annotations')):
                return c
        raise DatasetFormatError(f'TBX11K: no imgs/ and annotations/ in {data_root} or '
                                 f'{osp.join(data_root, "TBX11K")}')

    def write_muscle_split(self, root: str, json_dir: str) -> dict:
        """Split the TB images of trainval and write one COCO json per split; their paths."""
        src = first_existing([
            osp.join(json_dir, 'TBX11K_trainval_only_tb.json'),
            osp.join(json_dir, 'TBX11K_trainval.json')
        ], 'TBX11K trainval json')
        with open(src) as f:
            coco = json.load(f)
        names = check_categories(coco['categories'], src, self.METAINFO['classes'])
        images = [im for im in coco['images'] if im['file_name'].startswith('tb/')]
        check_not_empty(images, 'TBX11K TB images (tb/...)', src)
        for im in images:
            require_file(osp.join(root, 'imgs', im['file_name']), 'TBX11K image', listed_in=src)
        names_ = [im['file_name'] for im in images]
        splits = self.draw_split(
            names_,
            None, [osp.join(root, 'imgs', n) for n in names_],
            source=f'tb/ images of {osp.basename(src)}, paths relative to '
            'imgs/')
        by_img = {}
        for ann in coco['annotations']:
            by_img.setdefault(ann['image_id'], []).append(ann)
        stem, paths, clipped = osp.splitext(self.split_file)[0], {}, []
        for name in SPLIT_NAMES:
            wanted = set(splits[name])
            sub_imgs = sorted((im for im in images if im['file_name'] in wanted),
                              key=lambda im: im['id'])
            sub_anns = []
            for im in sub_imgs:
                for ann in by_img.get(im['id'], []):
                    where = f'{src}: annotation {ann.get("id")} of {im["file_name"]}'
                    self._check_category(ann, names, where)
                    ann = copy.deepcopy(ann)
                    old = ann['bbox']
                    ann['bbox'], changed = clip_box(old, im['width'], im['height'], where)
                    if changed:
                        ann['area'] = ann['bbox'][2] * ann['bbox'][3]
                        clipped.append((im['file_name'], ann.get('id'), old, ann['bbox']))
                    sub_anns.append(ann)
            subset = dict(
                info=dict(description=f'TBX11K {name} split of the TB images in '
                          f'{osp.basename(src)}, written by muscle_mm from {self.split_file}'),
                licenses=coco.get('licenses', []),
                images=sub_imgs,
                annotations=sub_anns,
                categories=coco['categories'])
            # absolute: mmengine joins a relative ann_file onto data_root a second time
            paths[name] = osp.abspath(f'{stem}_{name}.json')
            if not self._same_json(paths[name], subset):
                atomic_write_json(paths[name], subset)
        report_clipped(src, clipped)
        return paths

    @staticmethod
    def _same_json(path: str, obj: dict) -> bool:
        try:
            with open(path) as f:
                return json.load(f) == obj
        except (OSError, ValueError):
            return False

    def _check_category(self, ann: dict, names: dict, where: str) -> None:
        name = names.get(ann['category_id'])
        if name is None:
            raise DatasetFormatError(f'{where}: category_id {ann["category_id"]} is not in the '
                                     'json categories')
        if name not in self.METAINFO['classes']:
            raise DatasetFormatError(
                f'{where}: a {name!r} box; only {self.METAINFO["classes"]} (active / latent TB) '
                'are detection classes')

    def load_data_list(self) -> List[dict]:
        """mmdet's COCO loading, with categories matched by name and every box checked."""
        with get_local_path(self.ann_file, backend_args=self.backend_args) as local_path:
            self.coco = self.COCOAPI(local_path)
        self._names = check_categories(self.coco.dataset['categories'], self.ann_file,
                                       self.metainfo['classes'])
        by_name = {n: i for i, n in self._names.items()}
        self.cat_ids = [by_name[c] for c in self.metainfo['classes']]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = copy.deepcopy(self.coco.cat_img_map)
        self._clipped = []
        data_list, ann_ids = [], []
        for img_id in self.coco.get_img_ids():
            raw_img_info = self.coco.load_imgs([img_id])[0]
            raw_img_info['img_id'] = img_id
            ids = self.coco.get_ann_ids(img_ids=[img_id])
            ann_ids.extend(ids)
            data_list.append(
                self.parse_data_info(
                    dict(raw_ann_info=self.coco.load_anns(ids), raw_img_info=raw_img_info)))
        if len(set(ann_ids)) != len(ann_ids):
            raise DatasetFormatError(f'{self.ann_file}: annotation ids are not unique')
        del self.coco
        report_clipped(self.ann_file, self._clipped)
        check_not_empty(data_list, f'TBX11K {self.split}', self.ann_file)
        return data_list

    def parse_data_info(self, raw_data_info: dict) -> dict:
        img_info = raw_data_info['raw_img_info']
        img_path = osp.join(self.data_prefix['img'], img_info['file_name'])
        require_file(img_path, 'TBX11K image', listed_in=self.ann_file)
        instances = []
        for ann in raw_data_info['raw_ann_info']:
            if ann.get('ignore', False):
                continue
            where = f'{self.ann_file}: annotation {ann.get("id")} of {img_info["file_name"]}'
            self._check_category(ann, self._names, where)
            (x, y, w, h), changed = clip_box(ann['bbox'], img_info['width'], img_info['height'],
                                             where)
            if changed:
                self._clipped.append(
                    (img_info['file_name'], ann.get('id'), ann['bbox'], [x, y, w, h]))
            if ann['category_id'] not in self.cat2label:
                continue  # a TB class the config left out of metainfo['classes'] on purpose
            instances.append(
                dict(
                    bbox=[x, y, x + w, y + h],
                    bbox_label=self.cat2label[ann['category_id']],
                    ignore_flag=int(bool(ann.get('iscrowd', False)))))
        return dict(
            img_path=img_path,
            img_id=img_info['img_id'],
            seg_map_path=None,
            height=img_info['height'],
            width=img_info['width'],
            instances=instances)
