"""Report images of the MD-MoCo pre-training pool that are also in a downstream val/test split.

    # from a config holding `pretrain_pool` (list of dataset configs, or an XRayPretrainPool
    # config; else train_dataloader.dataset if it is one) and `downstream_eval` (list of dataset
    # configs, or dict name -> config):
    python tools/analysis_tools/check_leakage.py configs/muscle/mdmoco_r18.py --strict

    # or explicitly, TYPE:DATA_ROOT[:SPLIT] and/or plain folders:
    python tools/analysis_tools/check_leakage.py \
        --pool MontgomeryCXR:data/MontgomeryCXR ShenzhenCXR:data/ShenzhenCXR \
        --eval TBX11K:data/TBX11K:val ChestXrayMasks:data/ChestXrayMasks:test \
        --eval-dir some/other/test/images

The tool's code is muscle_mm/cli/check_leakage.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
import sys

from muscle_mm.cli.check_leakage import main, parse_args  # noqa: F401  (tests import it)

if __name__ == '__main__':
    sys.exit(main())
