# MD-MoCo ResNet-18 as configs/muscle/mdmoco_r18.py, on the pool without any downstream val/test
# image (see configs/muscle/mdmoco_r50_leakfree.py).
_base_ = ['./mdmoco_r18.py']

train_dataloader = dict(dataset=dict(exclude_downstream=True))
