"""NIH ChestX-ray14 indexing at full size (112,120 entries), against a bare baseline.

Writes the Kaggle layout with empty image files (only names matter for indexing) into a temporary
folder, then times (a) the bare minimum, reading Data_Entry_2017.csv with the csv module and one
os.listdir per image folder, and (b) NIHChestXray14(split='all'), which also checks every listed
file, parses the metadata and logs progress. Prints entries/s of each and the ratio (b)/(a).

    python benchmarks/nih_indexing.py [--num 112120]
"""
import argparse
import csv
import os
import os.path as osp
import tempfile
import time

HEADER = ('Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,'
          'View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],\n')


def write_layout(root, num):
    rows = [(f'{i // 4 + 1:08d}_{i % 4:03d}.png', f'images_{i // 10000 + 1:03d}/images')
            for i in range(num)]
    for folder in {r[1] for r in rows}:
        os.makedirs(osp.join(root, folder), exist_ok=True)
    with open(osp.join(root, 'Data_Entry_2017.csv'), 'w') as f:
        f.write(HEADER)
        for name, folder in rows:
            open(osp.join(root, folder, name), 'wb').close()
            f.write(f'{name},No Finding,{int(name[9:12])},{int(name[:8])},50,M,PA,1024,1024,'
                    '0.14,0.14,\n')
    cut = int(num * 86524 / 112120)
    for fname, part in (('train_val_list.txt', rows[:cut]), ('test_list.txt', rows[cut:])):
        with open(osp.join(root, fname), 'w') as f:
            f.write('\n'.join(r[0] for r in part) + '\n')


def bare(root):
    with open(osp.join(root, 'Data_Entry_2017.csv'), newline='') as f:
        names = [row['Image Index'] for row in csv.DictReader(f)]
    on_disk = {}
    for d in sorted(os.listdir(root)):
        if d.startswith('images_'):
            for n in os.listdir(osp.join(root, d, 'images')):
                on_disk[n] = osp.join(root, d, 'images', n)
    return [on_disk[n] for n in names]


def project(root):
    import muscle_mm  # noqa: F401
    from muscle_mm.datasets.nih_chestxray14 import NIHChestXray14
    ds = NIHChestXray14(data_root=root, split='all', pipeline=[])
    return [ds.get_data_info(i)['img_path'] for i in range(len(ds))]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num', type=int, default=112120)
    args = p.parse_args()
    import muscle_mm  # noqa: F401  (import cost kept out of the timing)
    with tempfile.TemporaryDirectory() as root:
        write_layout(root, args.num)
        times = {}
        for name, fn in (('bare', bare), ('project', project)):
            t = time.perf_counter()
            n = len(fn(root))
            times[name] = time.perf_counter() - t
            assert n == args.num, (name, n)
    a, b = args.num / times['bare'], args.num / times['project']
    print(f'{"path":<70} {"entries/s":>10} {"s":>6}')
    print(f'{"(a) bare: csv.DictReader + one os.listdir per folder":<70} {a:10.0f} '
          f'{times["bare"]:6.2f}')
    print(f'{"(b) NIHChestXray14(split=all): checks, metadata, progress log":<70} {b:10.0f} '
          f'{times["project"]:6.2f}')
    print(f'ratio (b)/(a) entries/s: {b / a:.2f}')


if __name__ == '__main__':
    main()
