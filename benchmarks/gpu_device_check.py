"""MUSCLE on one GPU: every stage with --amp, CUDA against CPU, and the GPU figures, in one run.

Run by benchmarks/gpu_device_check.sh on a lent GPU machine (after it installed the carried
wheels and built mmcv's CUDA ops there), or here with ``--dry-run``: the same code on the CPU at
tiny sizes (ResNet-18, 64x40, bf16 autocast through the CPU), which is what the test suite runs.

    python benchmarks/gpu_device_check.py --out work_dirs/gpu_check          # CUDA, 800x500, R50
    python benchmarks/gpu_device_check.py --dry-run --out /tmp/gpu_check     # CPU, tiny

Parts (each one reported, a failing one marked FAIL without stopping the others):

1. ``amp``: a few iterations of each stage with mmengine's ``AmpOptimWrapper`` (bf16 where the
   GPU has it, else fp16; on the CPU an OptimWrapper whose context is CPU bf16 autocast, since
   AmpOptimWrapper refuses a CPU), on generated batches at the paper's 800x500 through each
   model's own data preprocessor: MD-MoCo (device views, split-batch BN), one continual round of
   the four tasks (MultiTaskModel + L2SPHook's penalty, anchor reset at each task), one fine-tune
   per task. Checks: losses finite and lower at the end than at the start (same batch repeated),
   the L2-SP penalty and the MoCo queue fp32.
2. ``cuda_vs_cpu``: RoIAlign and NMS (mmcv ops), XRayViews, one forward of each task model
   (fp32, TF32 off), CUDA against the CPU on the same inputs and weights.
3. ``speed``: the MD-MoCo step (bf16) against a plain torchvision ResNet step (forward +
   backward + SGD) at the same batch and size (goal <= 1.4x: the extra key forward); the loader
   end to end (workers, pinned memory) with the pre-resized cache and with decoding, against the
   model step alone (goal >= 0.95x); the continual round's task switches (first step of a task
   less a steady one); peak GPU memory of each stage.

Writes ``results.json`` and ``RESULTS_section.md`` (for benchmarks/RESULTS.md) under ``--out``;
exits 1 if any check failed.
"""
import argparse
import json
import math
import os
import os.path as osp
import platform
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager

import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

import muscle_mm  # noqa: F401
from muscle_mm.experiments.grid import TABLE_TASKS, TASKS, config_path
from muscle_mm.registry import MODELS
from muscle_mm.utils.timing import sync, time_per_call

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SCOPE = dict(pneumonia='mmpretrain', mura='mmpretrain', lung='mmseg', tbx='mmdet')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument(
        '--dry-run',
        action='store_true',
        help='CPU, ResNet-18, 64x40, 2 iterations: the test suite\'s run')
    p.add_argument('--out', default=os.environ.get('OUT', 'work_dirs/gpu_device_check'))
    p.add_argument('--iters', type=int, help='iterations per stage (6; dry run 3)')
    p.add_argument('--moco-batch', type=int, help='MD-MoCo batch (32; dry run 8)')
    p.add_argument('--parts', default='amp,cuda_vs_cpu,speed')
    p.add_argument('--workers', type=int, default=12, help='loader workers, end to end (12)')
    args = p.parse_args(argv)
    dry = args.dry_run
    args.device = 'cpu' if dry else 'cuda'
    args.arch = 'r18' if dry else 'r50'
    args.h, args.w = (64, 40) if dry else (800, 500)  # [paper] 800x500 (h x w)
    args.iters = args.iters or (3 if dry else 6)
    args.moco_batch = args.moco_batch or (8 if dry else 32)  # [mdmoco_r50.py] 32 per GPU
    args.task_batch = dict(
        pneumonia=4 if dry else 32,
        mura=4 if dry else 32,
        lung=2 if dry else 4,
        tbx=2 if dry else 4)  # [xray_tasks.py] cls 32, lung 4, tbx 4
    if dry:
        args.workers = 0
    return args


# --- helpers ----------------------------------------------------------------------------------
def amp_dtype(device):
    if device == 'cpu':
        return torch.bfloat16
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


class CPUAutocastOptimWrapper(OptimWrapper):
    """OptimWrapper whose ``optim_context`` is bf16 autocast on the CPU: mmengine's
    AmpOptimWrapper refuses a CPU, and this runs the same model code under the same autocast."""

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield


def optim_wrapper(params, device, lr):
    opt = torch.optim.SGD(params, lr=lr, momentum=0.9)
    if device == 'cpu':
        return CPUAutocastOptimWrapper(optimizer=opt)
    return AmpOptimWrapper(optimizer=opt, dtype=amp_dtype(device))


def peak_reset(device):
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()


def peak_gib(device):
    return torch.cuda.max_memory_allocated() / 2**30 if device.startswith('cuda') else None


def finite_and_falling(losses):
    ok_finite = all(math.isfinite(v) for v in losses)
    return ok_finite, ok_finite and losses[-1] < losses[0]


def cfg_path(*parts):
    return osp.join(ROOT, 'configs', *parts)


NOTES = []  # what this run changed against the shipped configs / stock ops, in the report


def bf16_safe_tbx(model_cfg):
    """Faster R-CNN's RoIAlign under bf16: mmcv 2.1.0 has no bf16 kernel (CPU or CUDA), so the
    stock SingleRoIExtractor stops; muscle_mm's AutocastRoIExtractor runs it in fp32. Applied
    here where the config still names the stock one, and said so in the report."""
    ext = model_cfg.get('roi_head', {}).get('bbox_roi_extractor')
    if ext is not None and ext.get('type') == 'SingleRoIExtractor':
        ext.type = 'AutocastRoIExtractor'
        note = ('tbx: bbox_roi_extractor SingleRoIExtractor -> AutocastRoIExtractor (mmcv 2.1.0 '
                'RoIAlign has no bf16 kernel; configs/_base_/tasks/xray_tasks.py names the stock '
                'one)')
        if note not in NOTES:
            NOTES.append(note)
    return model_cfg


def cpu_autocast_nms_shim():
    """CPU dry run only: on CUDA, autocast runs torch.exp in fp32, so mmdet's RPN decodes its
    boxes in fp32 and mmcv's nms (float-only kernels) gets fp32; CPU autocast has no such rule
    and the boxes stay bf16. Cast them as CUDA autocast would, for the dry run."""
    import importlib
    nms_mod = importlib.import_module('mmcv.ops.nms')
    if getattr(nms_mod.NMSop, '_cpu_shim', False):
        return
    orig = nms_mod.NMSop.forward

    def forward(ctx, bboxes, scores, *args):
        return orig(ctx, bboxes.float(), scores.float(), *args)

    nms_mod.NMSop.forward = staticmethod(forward)
    nms_mod.NMSop._cpu_shim = True
    NOTES.append('CPU dry run: mmcv NMSop gets fp32 boxes (as CUDA autocast\'s fp32 exp gives)')


def build(model_cfg, device, scope='mmpretrain'):
    init_default_scope(scope)
    if model_cfg.get('type') == 'FasterRCNN':
        model_cfg = bf16_safe_tbx(model_cfg)
    elif model_cfg.get('type') == 'MultiTaskModel':
        for cfg in model_cfg.tasks.values():
            if cfg.get('type') == 'FasterRCNN':
                bf16_safe_tbx(cfg)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.to(device)


# --- generated batches (what each task's pipeline packs) -------------------------------------
def task_batch(task, n, h, w, gen):
    """A batch as the task's loader packs it: uint8 gray x3 images and ground truth."""
    from mmdet.structures import DetDataSample
    from mmpretrain.structures import DataSample
    from mmseg.structures import SegDataSample
    imgs = [torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=gen) for _ in range(n)]
    meta = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), scale_factor=(1.0, 1.0))
    samples = []
    for i in range(n):
        if task in TABLE_TASKS[2]:  # classification
            samples.append(DataSample().set_gt_label(i % 2))
        elif task == 'lung':
            s = SegDataSample(metainfo=meta)
            mask = torch.zeros(1, h, w, dtype=torch.long)
            mask[:, h // 6:h * 5 // 6, w // 8:w * 7 // 8] = 1  # one lung-sized block
            s.gt_sem_seg = PixelData(data=mask)
            samples.append(s)
        else:
            s = DetDataSample(metainfo=meta)
            x0 = torch.rand(2, generator=gen) * w * 0.5
            y0 = torch.rand(2, generator=gen) * h * 0.5
            s.gt_instances = InstanceData(
                bboxes=torch.stack([x0, y0, x0 + w * 0.3, y0 + h * 0.3], 1),
                labels=torch.tensor([0, 1]))
            samples.append(s)
    return dict(inputs=imgs, data_samples=samples)


def moco_batch(n, h, w, gen):
    from mmpretrain.structures import DataSample
    return dict(
        inputs=torch.randint(0, 256, (n, 1, h, w), dtype=torch.uint8, generator=gen),
        data_samples=[DataSample(metainfo=dict(sample_idx=i)) for i in range(n)])


# --- part 1: every stage with --amp -----------------------------------------------------------
def moco_model(args):
    cfg = Config.fromfile(cfg_path('muscle', f'mdmoco_{args.arch}_deviceviews.py'))
    cfg.model.queue_len = args.moco_batch * 64  # a multiple of the batch, far from full
    return build(cfg.model, args.device)


def run_steps(model, wrapper, batch, iters, device, timings=None):
    losses = []
    for _ in range(iters):
        t0 = time.perf_counter()
        log = model.train_step(batch, wrapper)
        sync(device)
        if timings is not None:
            timings.append(time.perf_counter() - t0)
        losses.append(float(log['loss']))
    return losses


def moco_loss_now(model, batch, autocast):
    """The MD-MoCo loss of ``batch`` against the queue as it is, which is left unchanged."""
    queue, ptr = model.queue.clone(), model.queue_ptr.clone()
    dev = model.queue.device.type
    with torch.no_grad(), torch.autocast(dev, dtype=amp_dtype(dev), enabled=autocast):
        loss = float(model(**model.data_preprocessor(batch, True), mode='loss')['loss'])
    model.queue.copy_(queue)
    model.queue_ptr.copy_(ptr)
    return loss


def amp_moco(args, gen):
    """MD-MoCo under autocast. A few steps of a repeated batch are no test of learning for
    MoCo (each step enqueues that batch's keys, the next steps' near-duplicate negatives, and
    early contrastive training trades alignment for spread: the loss rises either way, in fp32
    too), so the checks are: finite losses, the autocast loss at the start within 5% of the
    fp32 one, the queue fp32, and every step moving the weights."""
    MessageHub.get_instance('gpu_check').update_info('iter', 0)
    peak_reset(args.device)
    model = moco_model(args)
    model.train()
    wrapper = optim_wrapper(model.parameters(), args.device, lr=0.03)  # [v2] lr 0.03
    batch = moco_batch(args.moco_batch, args.h, args.w, gen)
    fp32, low = moco_loss_now(model, batch, False), moco_loss_now(model, batch, True)
    w0 = model.backbone.conv1.weight.detach().clone()
    losses = run_steps(model, wrapper, batch, args.iters, args.device)
    moved = not torch.equal(w0, model.backbone.conv1.weight.detach())
    finite, _ = finite_and_falling(losses)
    rel = abs(low - fp32) / abs(fp32)
    return dict(
        losses=losses,
        start_fp32=fp32,
        start_autocast=low,
        start_rel_diff=rel,
        finite=finite,
        weights_moved=moved,
        queue_dtype=str(model.queue.dtype),
        ok=finite and moved and rel < 0.05 and model.queue.dtype == torch.float32,
        peak_gib=peak_gib(args.device))


def continual_model(args):
    name = 'muscle_r18_demo.py' if args.dry_run else 'muscle_r50.py'
    cfg = Config.fromfile(cfg_path('muscle', name))
    cfg.model.backbone_checkpoint = None
    return build(cfg.model, args.device)


def amp_continual(args, gen):
    """One round: each task in turn, the L2-SP anchor reset at its start (as the loop's
    before_train_task), a few iterations of its batch."""
    from muscle_mm.engine.hooks import L2SPHook
    peak_reset(args.device)
    model = continual_model(args)
    model.train()
    hook = L2SPHook(alpha=0.9, strength=5e-5)  # [configs/muscle/muscle_r50.py]
    hook.params = [(n, p) for n, p in model.backbone.named_parameters()
                   if p.requires_grad and p.dim() >= 2]
    hook._wrap_parse_losses(model)
    wrapper = optim_wrapper(model.parameters(), args.device, lr=0.01)  # [muscle_r50] eta_max
    out, switches = {}, {}
    for task in TASKS:
        hook.set_anchor(f'task {task}')
        batch = dict(task_batch(task, args.task_batch[task], args.h, args.w, gen), task=task)
        times = []
        losses = run_steps(model, wrapper, batch, args.iters, args.device, times)
        penalty = hook.penalty()
        finite, falling = finite_and_falling(losses)
        out[task] = dict(
            losses=losses,
            finite=finite,
            falling=falling,
            l2sp=float(penalty),
            l2sp_dtype=str(penalty.dtype),
            ok=finite and falling and penalty.dtype == torch.float32)
        steady = sorted(times[1:])[len(times[1:]) // 2] if len(times) > 1 else times[0]
        switches[task] = dict(
            first_step_s=times[0], steady_step_s=steady, switch_overhead_s=times[0] - steady)
    return dict(
        tasks=out,
        switches=switches,
        peak_gib=peak_gib(args.device),
        ok=all(v['ok'] for v in out.values()))


def finetune_model(args, task):
    cfg = Config.fromfile(config_path(task, 'scratch', int(args.arch[1:])))
    return build(cfg.model, args.device, SCOPE[task])


def amp_finetune(args, gen):
    out = {}
    for task in TASKS:
        peak_reset(args.device)
        model = finetune_model(args, task)
        model.train()
        wrapper = optim_wrapper(
            model.parameters(), args.device,
            lr=0.005 if task == 'tbx' else 0.01)  # [finetune configs]
        init_default_scope(SCOPE[task])
        losses = run_steps(model, wrapper,
                           task_batch(task, args.task_batch[task], args.h, args.w, gen), args.iters,
                           args.device)
        finite, falling = finite_and_falling(losses)
        out[task] = dict(
            losses=losses,
            finite=finite,
            falling=falling,
            ok=finite and falling,
            peak_gib=peak_gib(args.device))
    return dict(tasks=out, ok=all(v['ok'] for v in out.values()))


# --- part 2: CUDA against CPU -----------------------------------------------------------------
def max_rel(a, b):
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item()


def flat_tensors(x):
    if torch.is_tensor(x):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in flat_tensors(v)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in flat_tensors(v)]
    return []


def compare(args, gen):
    """Each result's largest difference relative to the CPU result's largest magnitude."""
    from mmcv.ops import RoIAlign, nms

    from muscle_mm.models.utils import XRayViews
    dev = 'cuda' if args.device == 'cuda' else 'cpu'  # dry run: CPU against itself
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    res = {}
    xy = torch.rand(300, 2, generator=gen) * 400
    boxes = torch.cat([xy, xy + 10 + torch.rand(300, 2, generator=gen) * 90], 1)
    scores = torch.rand(300, generator=gen)
    keep_c = nms(boxes, scores, 0.5)[1]
    keep_d = nms(boxes.to(dev), scores.to(dev), 0.5)[1].cpu()
    res['nms'] = dict(kept=len(keep_c), equal=torch.equal(keep_c, keep_d))
    feat = torch.rand(2, 16, 100, 63, generator=gen)
    rois = torch.cat([torch.randint(0, 2, (64, 1), generator=gen).float(), boxes[:64] / 4], 1)
    roi = RoIAlign((7, 7), 0.25, 0)
    res['roi_align'] = dict(rel=max_rel(roi(feat.to(dev), rois.to(dev)), roi(feat, rois)))
    views = XRayViews(seed=0)
    img = torch.randint(0, 256, (4, 1, args.h, args.w), generator=gen).float()
    MessageHub.get_instance('gpu_check').update_info('iter', 3)
    vc, vd = views(img)[0], views(img.to(dev))[0]
    res['xray_views'] = dict(rel=max(max_rel(d, c) for d, c in zip(vd, vc)))
    for task in TASKS:
        model = finetune_model(args, task).cpu().eval()
        init_default_scope(SCOPE[task])
        batch = task_batch(task, 2, args.h, args.w, gen)
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            out_c = flat_tensors(model(data['inputs'], data['data_samples'], mode='tensor'))
            model.to(dev)
            data = model.data_preprocessor(batch, False)
            out_d = flat_tensors(model(data['inputs'], data['data_samples'], mode='tensor'))
        res[f'forward_{task}'] = dict(
            rel=max(max_rel(d, c) for d, c in zip(out_d, out_c)), tensors=len(out_c))
    for k, v in res.items():
        v['ok'] = v.get('equal', True) and v.get('rel', 0.0) < 1e-3
    res['ok'] = all(v['ok'] for v in res.values() if isinstance(v, dict))
    return res


# --- part 3: speed ----------------------------------------------------------------------------
WARMUP = 2  # untimed steps before each timing: cuDNN's algorithm choice, the allocator


def speed(args, gen):
    import torchvision
    dev, dtype = args.device, amp_dtype(args.device)
    steps = max(args.iters, 3)
    n = args.moco_batch
    res = {}
    peak_reset(dev)
    model = moco_model(args)
    model.train()
    wrapper = optim_wrapper(model.parameters(), dev, lr=0.03)
    batch = moco_batch(n, args.h, args.w, gen)
    t_moco = time_per_call(lambda: model.train_step(batch, wrapper), steps, dev, WARMUP)
    res['mdmoco_peak_gib'] = peak_gib(dev)
    # the plain step: torchvision's ResNet at the same depth, batch and size, one view
    tv = (torchvision.models.resnet50 if args.arch == 'r50' else torchvision.models.resnet18)()
    tv = tv.to(dev).train()
    opt = torch.optim.SGD(tv.parameters(), lr=0.03, momentum=0.9)
    x = torch.randn(n, 3, args.h, args.w, device=dev)
    y = torch.randint(0, 1000, (n, ), device=dev)

    def plain():
        with torch.autocast(dev, dtype=dtype):
            loss = torch.nn.functional.cross_entropy(tv(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    peak_reset(dev)
    t_plain = time_per_call(plain, steps, dev, WARMUP)
    res['plain_peak_gib'] = peak_gib(dev)
    res.update(
        batch=n,
        mdmoco_step_s=t_moco,
        plain_step_s=t_plain,
        ratio=t_moco / t_plain,
        goal_ratio=1.4,
        images_per_s=n / t_moco)
    res['ok_ratio'] = args.dry_run or t_moco / t_plain <= 1.4  # a goal on the GPU only
    res['loader'] = loader_rates(args, model, wrapper, n / t_moco)
    res['ok'] = res['ok_ratio'] and all(v['ok'] for v in res['loader'].values())
    return res


def _cycle(loader):
    """The loader's batches, epoch after epoch."""
    while True:
        yield from loader


def loader_rates(args, model, wrapper, alone):
    """images/s of loader (workers, pinned memory) -> preprocessor -> step, with the cache and
    with decoding, against the step alone on a resident batch."""
    from mmengine.dataset import Compose, default_collate
    from mmengine.registry import DefaultScope

    from muscle_mm.datasets.pipeline_bench import make_phantoms
    from muscle_mm.datasets.xray_cache_build import build as build_cache
    cfg = Config.fromfile(cfg_path('muscle', f'mdmoco_{args.arch}_deviceviews.py'))
    step_cfg = cfg.train_dataloader.dataset.pipeline[0]
    if args.dry_run:
        step_cfg.resize.scale = (args.w, args.h)
    n_img = 2 * args.moco_batch
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        side = 64 if args.dry_run else 1024
        paths = make_phantoms(tmp, n_img, side, side)
        cache = osp.join(tmp, 'cache')
        build_cache(paths, step_cfg, cache, 0, 1024, {})
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            rest = list(cfg.train_dataloader.dataset.pipeline[1:])
            pipes = dict(
                cache=Compose([dict(step_cfg, cache=cache)] + rest),
                decode=Compose([step_cfg] + rest))

        class Files(torch.utils.data.Dataset):

            def __init__(self, pipe):
                self.pipe = pipe

            def __len__(self):
                return len(paths)

            def __getitem__(self, i):
                return self.pipe(dict(img_path=paths[i], sample_idx=i))

        for name, pipe in pipes.items():
            loader = torch.utils.data.DataLoader(
                Files(pipe),
                batch_size=args.moco_batch,
                shuffle=True,
                drop_last=True,
                num_workers=args.workers,
                pin_memory=args.device == 'cuda',
                persistent_workers=args.workers > 0,
                collate_fn=default_collate)

            it = _cycle(loader)
            # one untimed step: the workers' start-up is not counted
            step_s = time_per_call(
                lambda batches=it: model.train_step(next(batches), wrapper),
                max(args.iters, 3),
                args.device,
                warmup=1)
            rate = args.moco_batch / step_s
            out[name] = dict(
                images_per_s=rate,
                model_alone=alone,
                ratio=rate / alone,
                goal_ratio=0.95,
                workers=args.workers,
                ok=args.dry_run or rate / alone >= 0.95)
            del it, loader
    return out


# --- report -----------------------------------------------------------------------------------
def machine(args):
    info = dict(
        python=platform.python_version(),
        torch=torch.__version__,
        cuda=torch.version.cuda,
        device=args.device,
        cpus=os.cpu_count(),
        dry_run=args.dry_run,
        size=f'{args.h}x{args.w}',
        arch=args.arch)
    if args.device == 'cuda':
        info.update(
            gpu=torch.cuda.get_device_name(),
            capability=torch.cuda.get_device_capability(),
            bf16=torch.cuda.is_bf16_supported())
    import mmcv
    info['mmcv'] = mmcv.__version__
    return info


def fmt_losses(v):
    return ' -> '.join(f'{x:.3f}' for x in (v['losses'][0], v['losses'][-1]))


def markdown(r):
    m = r['machine']
    lines = [
        f'### GPU device check: {m.get("gpu", "CPU dry run")} ({m["size"]}, '
        f'{m["arch"].upper()}, {"bf16" if m.get("bf16", True) else "fp16"} autocast)', '',
        f'`benchmarks/gpu_device_check.sh`; Python {m["python"]}, torch {m["torch"]} '
        f'(CUDA {m["cuda"]}), mmcv {m["mmcv"]} built there, {m["cpus"]} CPUs. '
        f'Failed checks: {", ".join(r["failed"]) or "none"}.', '', *[f'- {n}' for n in r['notes']],
        '', '| check | result |', '| --- | --- |'
    ]
    if 'amp' in r and 'error' not in r['amp']:
        a = r['amp']
        mo = a['moco']
        lines.append(f'| MD-MoCo loss (first -> last step) | {fmt_losses(mo)}; at the start '
                     f'autocast {mo["start_autocast"]:.4f} vs fp32 {mo["start_fp32"]:.4f} '
                     f'({100 * mo["start_rel_diff"]:.2f}%); queue {mo["queue_dtype"]} |')
        for t, v in a['continual']['tasks'].items():
            lines.append(f'| continual {t} loss | {fmt_losses(v)}; L2-SP {v["l2sp"]:.3g} '
                         f'({v["l2sp_dtype"]}) |')
        for t, v in a['finetune']['tasks'].items():
            lines.append(f'| fine-tune {t} loss | {fmt_losses(v)} |')
    if 'cuda_vs_cpu' in r and 'error' not in r['cuda_vs_cpu']:
        for k, v in r['cuda_vs_cpu'].items():
            if isinstance(v, dict):
                val = (f'equal: {v["equal"]} ({v["kept"]} kept)'
                       if 'equal' in v else f'max rel. diff {v["rel"]:.2e}')
                dev = 'CPU (dry run)' if m['dry_run'] else 'CUDA'
                lines.append(f'| {dev} vs CPU {k} | {val} |')
    if 'speed' in r and 'error' not in r['speed']:
        s = r['speed']
        lines.append(f'| MD-MoCo step / plain ResNet step (batch {s["batch"]}) | '
                     f'{s["mdmoco_step_s"] * 1e3:.1f} / {s["plain_step_s"] * 1e3:.1f} ms = '
                     f'{s["ratio"]:.2f}x (goal <= 1.4); {s["images_per_s"]:.0f} images/s |')
        for k, v in s['loader'].items():
            lines.append(f'| loader end to end ({k}, {v["workers"]} workers) / model alone | '
                         f'{v["images_per_s"]:.0f} / {v["model_alone"]:.0f} images/s = '
                         f'{v["ratio"]:.2f} (goal >= 0.95) |')
        if s.get('mdmoco_peak_gib') is not None:
            lines.append(f'| peak GPU memory MD-MoCo / plain | {s["mdmoco_peak_gib"]:.1f} / '
                         f'{s["plain_peak_gib"]:.1f} GiB |')
    if 'amp' in r and 'error' not in r['amp']:
        sw = r['amp']['continual']['switches']
        lines.append('| continual task switch overhead (first step - steady step) | ' +
                     ', '.join(f'{t} {v["switch_overhead_s"] * 1e3:.0f} ms'
                               for t, v in sw.items()) + ' |')
        if r['amp']['continual']['peak_gib'] is not None:
            lines.append(f'| peak GPU memory continual round | '
                         f'{r["amp"]["continual"]["peak_gib"]:.1f} GiB |')
    return '\n'.join(lines) + '\n'


def main(argv=None):
    args = parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        sys.exit('[gpu_check] no GPU visible: run with --dry-run on a CPU')
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    r = dict(machine=machine(args), notes=NOTES)
    if args.dry_run:
        cpu_autocast_nms_shim()
    parts = dict(
        amp=lambda: dict(
            moco=amp_moco(args, gen),
            continual=amp_continual(args, gen),
            finetune=amp_finetune(args, gen)),
        cuda_vs_cpu=lambda: compare(args, gen),
        speed=lambda: speed(args, gen))
    failed = []
    for name in args.parts.split(','):
        t0 = time.perf_counter()
        try:
            r[name] = parts[name]()
            if name == 'amp':
                r[name]['ok'] = all(v['ok'] for v in r[name].values())
        except Exception as e:  # noqa: BLE001 - report each part, run the others
            traceback.print_exc()
            r[name] = dict(error=f'{type(e).__name__}: {e}', ok=False)
        r[name]['seconds'] = time.perf_counter() - t0
        if not r[name]['ok']:
            failed.append(name)
        print(
            f'[gpu_check] {name}: {"ok" if r[name]["ok"] else "FAIL"} '
            f'({r[name]["seconds"]:.1f} s)',
            flush=True)
        r['failed'] = failed
        md = write(r, args.out)  # after each part: a run stopped by its time limit keeps these
    print(md)
    return 1 if failed else 0


def write(r, out):
    with open(osp.join(out, 'results.json'), 'w') as f:
        json.dump(r, f, indent=1, default=str)
    md = markdown(r)
    with open(osp.join(out, 'RESULTS_section.md'), 'w') as f:
        f.write(md)
    return md


if __name__ == '__main__':
    sys.exit(main())
