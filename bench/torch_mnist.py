#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# The reference for train_mnist: the same network, data, sampler and settings in PyTorch, with
# DistributedDataParallel over the gloo backend and one thread per rank. Run under torchrun
# (bench/train-vs-torch does). Prints one JSON object per epoch, train_mnist's --metrics fields.
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(directory, train, limit):
    prefix = "train" if train else "t10k"
    images = read_idx(os.path.join(directory, prefix + "-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, prefix + "-labels-idx1-ubyte.gz"))
    if limit:
        images, labels = images[:limit], labels[:limit]
    x = (torch.from_numpy(images.astype(np.float32)) / 255.0 - 0.1307) / 0.3081
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 20, 5)
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--clip", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    x, y = load(args.data, True, args.limit)
    tx, ty = load(args.data, False, 0)
    model = nn.parallel.DistributedDataParallel(Net())
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    sampler = torch.utils.data.distributed.DistributedSampler(
        torch.utils.data.TensorDataset(x, y), num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        idx = torch.tensor(list(iter(sampler)))
        model.train()
        start = time.perf_counter()
        losses = []
        for first in range(0, len(idx), args.batch_size):
            b = idx[first:first + args.batch_size]
            opt.zero_grad()
            loss = F.nll_loss(model(x[b]), y[b])
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            losses.append(loss.item())
        elapsed = time.perf_counter() - start
        model.eval()
        lo, hi = len(tx) * rank // world, len(tx) * (rank + 1) // world
        with torch.no_grad():
            out = model.module(tx[lo:hi])
            sums = torch.tensor([F.nll_loss(out, ty[lo:hi], reduction="sum").item(),
                                 (out.argmax(1) == ty[lo:hi]).sum().item(), hi - lo, sum(losses) / len(losses)],
                                dtype=torch.float64)
        dist.all_reduce(sums)
        if rank == 0:
            print(json.dumps({"epoch": epoch + 1, "train_loss": sums[3].item() / world,
                              "test_loss": sums[0].item() / sums[2].item(),
                              "test_accuracy": sums[1].item() / sums[2].item(), "epoch_time_s": elapsed,
                              "samples_per_s": len(idx) * world / elapsed, "world_size": world}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
