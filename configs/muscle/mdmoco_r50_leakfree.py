# MD-MoCo ResNet-50 as configs/muscle/mdmoco_r50.py, but pre-trained on a pool without any image of
# the downstream val/test splits (downstream_eval): every pool image that the leakage check
# (tools/analysis_tools/check_leakage.py: file name, md5, near-duplicate hash) pairs with a
# downstream val/test image is dropped before training; the log's per-source table says how many.
# The paper's pool holds some (every lung-mask val/test image is a Shenzhen or Montgomery image),
# so numbers from this config are the leakage-free counterpart of the paper's, not a reproduction.
_base_ = ['./mdmoco_r50.py']

train_dataloader = dict(dataset=dict(exclude_downstream=True))
