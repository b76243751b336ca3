# `make demo` and the tests: MUSCLE stage 2 exactly as configs/muscle/muscle_r18.py, shrunk to run
# on a CPU in minutes over the generated X-ray layouts
# (tools/dataset_converters/generate_synthetic.py).
#
# | setting         | paper / muscle_r18.py          | demo                                        |
# |-----------------|--------------------------------|---------------------------------------------|
# | input           | 800x500 (h x w)                | 128x80 (same 1.6 aspect)                    |
# | rounds          | 10                             | 3                                           |
# | batch           | cls 32, lung 4, tbx 4          | cls 16, lung 4, tbx 4; no loader workers    |
# | heads           | ASPP 128 ch, RoI FC 1024, RoI  | ASPP 32 ch, RoI FC 128, RoI sampler 128     |
# |                 | sampler 512                    | (the CPU's RoIAlign + FC dominate           |
# |                 |                                | otherwise)                                  |
# | init            | MD-MoCo checkpoint             | same (set model.backbone_checkpoint)        |
# | validation      | every round                    | every round                                 |
# Everything else (tasks, heads' types, losses, L2-SP, cyclic LR, reshuffled order) is the real one.
# Data roots are the defaults, data/<Name>, relative to the directory the run starts in.
_base_ = ['./muscle_r18.py']

# The real pipelines (muscle_r18.py's, by task), each Resize replaced by the demo's.
__resize = dict(type='Resize', scale=(80, 128), keep_ratio=False)
__batch = dict(pneumonia=16, mura=16, lung=4, tbx=4)
train_dataloader = {
    name:
    dict(
        batch_size=__batch[name],
        num_workers=0,
        dataset=dict(pipeline=[
            __resize if step.type == 'Resize' else step for step in loader.dataset.pipeline
        ]))
    for name, loader in _base_.train_dataloader.items()
}
val_dataloader = {
    name:
    dict(
        batch_size=__batch[name],
        num_workers=0,
        dataset=dict(pipeline=[
            __resize if step.type == 'Resize' else step for step in loader.dataset.pipeline
        ]))
    for name, loader in _base_.val_dataloader.items()
}
test_dataloader = {
    name:
    dict(
        batch_size=__batch[name],
        num_workers=0,
        dataset=dict(pipeline=[
            __resize if step.type == 'Resize' else step for step in loader.dataset.pipeline
        ]))
    for name, loader in _base_.test_dataloader.items()
}

model = dict(
    tasks=dict(
        lung=dict(decode_head=dict(channels=32)),
        tbx=dict(
            roi_head=dict(bbox_head=dict(fc_out_channels=128)),
            train_cfg=dict(rcnn=dict(sampler=dict(num=128))))))
train_cfg = dict(rounds=3)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(max_keep_ckpts=1))
