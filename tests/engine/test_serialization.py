"""Saving and loading whole models (Keras's ``model.save`` / ``load_model``).

A saved model is one ``.npz`` file: architecture, weights and compile settings. Loading it gives
back a model that predicts exactly the same numbers and trains on with the same settings. Writing
is atomic, and a damaged or foreign file gives a ``ValueError`` that names the file.
"""
from __future__ import annotations

import io
import json
import os
import re
import struct
import zipfile

import numpy as np
import pytest

import engine
from engine import serialization
from engine.layers import Activation, Dense, Dropout, Flatten
from engine.optimizers import SGD, Adagrad, Adam, RMSprop


def digits(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 4, 5)).astype("float32"), np.arange(n) % 3


def trained_model(optimizer=None):
    model = engine.Sequential([
        Flatten(input_shape=(4, 5)),
        Dense(8, activation="relu"),
        Dropout(0.25, seed=1),
        Dense(6, activation="tanh", use_bias=False),
        Dense(3),
        Activation("softmax"),
    ])
    model.compile(optimizer=optimizer or RMSprop(learning_rate=0.005, momentum=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = digits()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model


# ----- round trip -------------------------------------------------------------------------------
def test_round_trip_gives_identical_predictions_and_settings(tmp_path):
    model = trained_model()
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = engine.load_model(path)

    x, y = digits(seed=1)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.evaluate(x, y) == model.evaluate(x, y)
    assert loaded.get_config() == model.get_config()
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    # compile settings
    assert type(loaded.optimizer) is RMSprop
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.optimizer.get_config()["momentum"] == 0.5
    assert loaded.loss.name == "sparse_categorical_crossentropy"
    assert loaded.metrics == ["accuracy"]
    # and it trains on
    history = loaded.fit(x, y, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


@pytest.mark.parametrize("optimizer", [
    SGD(learning_rate=0.1, momentum=0.9, nesterov=True), Adam(learning_rate=0.003, beta_1=0.8),
    Adagrad(initial_accumulator_value=0.2), "rmsprop",
], ids=["sgd", "adam", "adagrad", "rmsprop-by-name"])
def test_every_optimizer_config_survives(tmp_path, optimizer):
    model = trained_model(optimizer)
    model.save(tmp_path / "m.npz")
    loaded = engine.models.load_model(str(tmp_path / "m.npz"))
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()


def test_keras_alias_loss_is_saved_by_its_name(tmp_path):
    model = engine.Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.npz")
    assert engine.load_model(tmp_path / "m.npz").loss.name == "mean_squared_error"


def test_uncompiled_model_round_trip(tmp_path):
    model = engine.Sequential([Dense(4, activation="elu", input_shape=(3,)), Dense(1, activation="sigmoid")])
    model.save(tmp_path / "m.npz")
    loaded = engine.load_model(tmp_path / "m.npz")
    assert loaded.optimizer is None and loaded.loss is None
    x = np.random.default_rng(2).normal(size=(5, 3))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    loaded.compile(optimizer="adam", loss="binary_crossentropy")
    loaded.fit(x, [0, 1, 0, 1, 1], epochs=1, verbose=0)


def test_saved_file_is_a_plain_npz_without_pickles(tmp_path):
    model = trained_model()
    path = tmp_path / "m.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["__model__", "weight_0", "weight_1", "weight_2", "weight_3", "weight_4"]
        document = json.loads(archive["__model__"].tobytes().decode("utf-8"))
    assert document["format"] == serialization.FORMAT and document["version"] == serialization.VERSION
    assert document["compile"]["loss"] == "sparse_categorical_crossentropy"


def test_clone_model_has_the_architecture_but_new_weights():
    model = trained_model()
    clone = engine.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])


def test_saving_an_unbuilt_model_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="not built"):
        engine.Sequential([Dense(2)]).save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


# ----- atomic writes ----------------------------------------------------------------------------
def test_overwriting_leaves_only_the_new_file(tmp_path):
    path = tmp_path / "m.npz"
    trained_model().save(path)
    second = trained_model(SGD(0.1))
    second.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    assert type(engine.load_model(path).optimizer) is SGD


def test_failed_rename_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    trained_model().save(path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        trained_model(SGD(0.1)).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
    assert type(engine.load_model(path).optimizer) is RMSprop


def test_interrupted_write_leaves_no_temp_file(tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        trained_model().save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


# ----- damaged and foreign files ------------------------------------------------------------------
def npz_bytes(compressed=False, **arrays):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def document_array(obj):
    return np.frombuffer(json.dumps(obj).encode("utf-8"), dtype=np.uint8)


def good_parts(tmp_path):
    """The JSON document and weights of a valid saved model."""
    path = tmp_path / "good.npz"
    trained_model().save(path)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    return path, json.loads(arrays.pop("__model__").tobytes()), arrays


def with_document(change):
    def build(tmp_path):
        _, document, weights = good_parts(tmp_path)
        return npz_bytes(__model__=document_array(change(document)), **weights)
    return build


def with_weights(change):
    def build(tmp_path):
        _, document, weights = good_parts(tmp_path)
        change(weights)
        return npz_bytes(__model__=document_array(document), **weights)
    return build


def bit_rot(member):
    """Overwrite bytes inside one member's compressed data, as a failing disk would."""
    def build(tmp_path):
        path, _, _ = good_parts(tmp_path)
        data = bytearray(path.read_bytes())
        info = zipfile.ZipFile(path).getinfo(member)
        name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
        start = info.header_offset + 30 + name_len + extra_len
        data[start + 4:start + 20] = b"\xff" * 16
        return bytes(data)
    return build


def _set(key, value):
    def change(document):
        document[key] = value
        return document
    return change


def _set_compile(key, value):
    def change(document):
        document["compile"][key] = value
        return document
    return change


def _truncated(tmp_path):
    path, _, _ = good_parts(tmp_path)
    data = path.read_bytes()
    return data[: len(data) // 2]


def _drop(key):
    def change(weights):
        del weights[key]
    return change


def _reshape_first(weights):
    weights["weight_0"] = weights["weight_0"].reshape(-1)


def _unknown_layer(document):
    document["config"]["layers"][1]["class_name"] = "Conv2D"
    return document


CORRUPT = {
    "random-bytes": (lambda tmp: np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes(), "not a model file"),
    "empty-file": (lambda tmp: b"", "not a model file"),
    "text-file": (lambda tmp: b"loss: 0.1234\naccuracy: 0.97\n", "not a model file"),
    "truncated-archive": (_truncated, "not a model file"),
    "npz-without-model": (lambda tmp: npz_bytes(x_train=np.zeros((2, 28, 28), np.uint8)), "no model description"),
    "not-json": (lambda tmp: npz_bytes(__model__=np.frombuffer(b"{not json", dtype=np.uint8)), "corrupt"),
    "not-utf8": (lambda tmp: npz_bytes(__model__=np.array([255, 254, 0], dtype=np.uint8)), "corrupt"),
    "wrong-format-tag": (with_document(_set("format", "keras-h5")), "unknown format"),
    "newer-version": (with_document(_set("version", 99)), "newer version"),
    "missing-weights": (with_weights(_drop("weight_3")), "weight_3"),
    "wrong-weight-shape": (with_weights(_reshape_first), "shape"),
    "unknown-layer": (with_document(_unknown_layer), "Conv2D"),
    "unknown-loss": (with_document(_set_compile("loss", "hinge")), "hinge"),
    "bad-learning-rate": (with_document(_set_compile("optimizer", {"name": "SGD", "learning_rate": -1.0})), "learning_rate"),
    "bit-rot-weights": (bit_rot("weight_0.npy"), ""),
    "bit-rot-model": (bit_rot("__model__.npy"), ""),
    "json-list": (lambda tmp: npz_bytes(__model__=document_array([1, 2])), ""),
    "config-not-object": (with_document(_set("config", "sequential")), ""),
    "optimizer-not-object": (with_document(_set_compile("optimizer", "rmsprop")), ""),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_corrupt_files_raise_a_value_error_naming_the_file(tmp_path, case):
    build, fragment = CORRUPT[case]
    path = tmp_path / f"{case}.npz"
    path.write_bytes(build(tmp_path))
    with pytest.raises(ValueError) as info:
        engine.load_model(path)
    message = str(info.value)
    assert str(path) in message
    assert re.search(fragment, message), message


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nope.npz"))):
        engine.load_model(tmp_path / "nope.npz")


def test_a_directory_is_not_a_model(tmp_path):
    (tmp_path / "folder.npz").mkdir()
    with pytest.raises(ValueError, match="folder.npz"):
        engine.load_model(tmp_path / "folder.npz")
