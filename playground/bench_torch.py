"""PyTorch's seconds per epoch for ``python -m playground.bench --compare-torch``.

The same network and recipe as the app trains (Glorot-uniform kernels, zero biases, RMSprop with
``rho=0.9, eps=1e-7``, cross-entropy, shuffled batches), on the same data, in a child process:
its threads and memory stay out of the app's process, and it trains one epoch each time it is
asked, so that its epochs take turns with the app's. PyTorch is not a dependency of the app:
``available()`` says whether it is installed, and nothing imports it before a child starts.
"""
from __future__ import annotations

import importlib.util
import multiprocessing
import time


def available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _network(torch, model: str):
    nn = torch.nn
    if model == "convnet":  # section 5.1, channels first
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
                            nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
    else:  # chapter 2
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return net


def _child(connection, model: str, batch_size: int, seed: int, threads: int) -> None:
    import torch

    from engine import examples
    from playground.bench import load_dataset

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    dataset = load_dataset(quiet=True)
    x, xt = (torch.from_numpy(examples.images(a, model)) for a in (dataset.x_train, dataset.x_test))
    if model == "convnet":
        x, xt = (a.permute(0, 3, 1, 2).contiguous() for a in (x, xt))
    y, yt = torch.from_numpy(dataset.y_train).long(), torch.from_numpy(dataset.y_test).long()
    net = _network(torch, model)
    optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    connection.send("ready")
    while connection.recv() == "epoch":
        start = time.perf_counter()
        order = torch.randperm(len(x))
        for lo in range(0, len(x), batch_size):
            idx = order[lo:lo + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
        connection.send(time.perf_counter() - start)
    with torch.no_grad():
        right = sum((net(xt[lo:lo + 1000]).argmax(1) == yt[lo:lo + 1000]).sum().item() for lo in range(0, len(xt), 1000))
    connection.send({"test_accuracy": right / len(xt), "version": torch.__version__})


def torch_epochs(model: str, epochs: int, batch_size: int, seed: int, threads: int):
    """PyTorch's epochs, one per ``next`` (seconds); returns ``{"test_accuracy", "version"}``."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    child = context.Process(target=_child, args=(theirs, model, batch_size, seed, threads), daemon=True)
    child.start()
    try:
        mine.recv()  # the data is loaded
        for _ in range(epochs):
            mine.send("epoch")
            yield mine.recv()
        mine.send("done")
        return mine.recv()
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
