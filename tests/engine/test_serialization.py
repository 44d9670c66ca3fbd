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
import time
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


def test_copy_model_has_the_architecture_and_a_copy_of_the_weights_and_draws_no_random_numbers():
    from engine.layers import BatchNormalization

    model = engine.Sequential([Dense(6, activation="relu", input_shape=(4,)), BatchNormalization(),
                               Dense(3, activation="softmax")])
    model.set_weights([w + i for i, w in enumerate(model.get_weights())])  # moving statistics too
    before = engine.backend.rng().bit_generator.state
    twin = engine.copy_model(model)
    assert engine.backend.rng().bit_generator.state == before
    assert twin.get_config() == model.get_config()
    for mine, theirs in zip(twin.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    twin.layers[0].kernel[...] = 0  # a copy, not a view
    assert model.layers[0].kernel.any()
    assert engine.clone_model(model).get_weights()[0].any()  # outside copy_model, weights are drawn again


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


def test_no_message_speaks_of_pickles(tmp_path):
    """Random bytes reached NumPy's pickle path: "Cannot load file containing pickled data when
    allow_pickle=False" is not something an app user can act on."""
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(ValueError) as info:
        engine.load_model(path)
    message = str(info.value)
    assert message == f"{path} is not a model file saved by Neural Playground (it is not a NumPy .npz archive)"


# ----- hostile files (issue 12, items 20 and 21) --------------------------------------------------
def npy_header(shape, descr="<f4", fortran=False):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": fortran, "shape": tuple(shape)})
    return buffer.getvalue()


def zip_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def good_members(tmp_path):
    path, document, weights = good_parts(tmp_path)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def hostile(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        engine.load_model(path)
    assert str(path) in str(info.value)
    return str(info.value)


@pytest.mark.parametrize("declared_bytes", [30 * 2**30, 2**50])
def test_a_small_file_declaring_a_huge_weight_is_refused_from_its_header(tmp_path, declared_bytes):
    members = good_members(tmp_path)
    members["weight_0.npy"] = npy_header((declared_bytes // 4,)) + b"\0" * 1024
    data = zip_bytes(members)
    assert len(data) < 8000
    assert "has shape" in hostile(tmp_path, "huge.npz", data)


@pytest.mark.parametrize("declared_bytes", [30 * 2**30, 2**50])
def test_a_huge_description_is_refused_from_its_header(tmp_path, declared_bytes):
    data = zip_bytes({"__model__.npy": npy_header((declared_bytes,), "|u1") + b"{}"})
    assert "more than the 1,048,576 allowed" in hostile(tmp_path, "huge.npz", data)


def test_an_unused_huge_member_is_never_read(tmp_path):
    """A model file with an extra key declaring a petabyte still loads: only the model's keys are read."""
    members = good_members(tmp_path)
    members["junk.npy"] = npy_header((2**50,)) + b"\0" * 1024
    path = tmp_path / "extra.npz"
    path.write_bytes(zip_bytes(members))
    loaded = engine.load_model(path)
    x, _ = digits()
    np.testing.assert_array_equal(loaded.predict(x), engine.load_model(tmp_path / "good.npz").predict(x))


def test_a_description_nested_5000_deep_is_refused(tmp_path):
    deep = ("[" * 5000 + "]" * 5000).encode()
    data = npz_bytes(__model__=np.frombuffer(deep, dtype=np.uint8))
    assert "nested too deeply" in hostile(tmp_path, "deep.npz", data)
    _, document, weights = good_parts(tmp_path)
    nested = '{"a": ' * 5000 + "{}" + "}" * 5000
    text = json.dumps(document)[:-1] + ', "deep": ' + nested + "}"
    hostile(tmp_path, "deep2.npz", npz_bytes(__model__=np.frombuffer(text.encode(), np.uint8), **weights))


def test_a_single_npy_array_is_refused(tmp_path):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((3, 4), np.float32))
    assert "single NumPy array (.npy)" in hostile(tmp_path, "array.npy", buffer.getvalue())


def dense_config(units, inputs, extra_layers=()):
    return {"format": serialization.FORMAT, "version": 1, "compile": None, "config": {
        "name": "sequential", "input_shape": [inputs],
        "layers": [{"class_name": "Dense", "config": {"name": "dense", "units": units, "input_shape": [inputs]}},
                   *extra_layers]}}


@pytest.mark.parametrize("units, inputs", [(200_000, 200_000), (50_000_000, 1), (8, 60_000_000)])
def test_a_config_declaring_too_many_parameters_is_refused_before_building(tmp_path, units, inputs):
    data = npz_bytes(__model__=document_array(dense_config(units, inputs)))
    assert "allowed" in hostile(tmp_path, "wide.npz", data)


def test_too_many_layers_are_refused(tmp_path):
    many = [{"class_name": "Activation", "config": {"activation": "relu"}}] * (serialization.MAX_LAYERS + 1)
    data = npz_bytes(__model__=document_array(dense_config(2, 3, many)))
    assert "layers, more than the 1,000 allowed" in hostile(tmp_path, "deep.npz", data)


def test_load_model_on_a_fifo_refuses_at_once(tmp_path):
    """Opening a FIFO for reading blocks until a writer comes: load_model must not open it. (The
    writer thread lets the old behaviour end, so that this test fails rather than hangs.)"""
    import threading

    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: os.close(os.open(fifo, os.O_WRONLY)), daemon=True)
    writer.start()
    try:
        with pytest.raises(ValueError, match="not a regular file") as info:
            engine.load_model(fifo)
        assert str(fifo) in str(info.value)
    finally:
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer's open return
        try:
            writer.join()
        finally:
            os.close(reader)


@pytest.mark.parametrize("dtype", ["S8", "object", "int32", "complex64", "float16", "<U3"])
def test_a_layer_dtype_that_cannot_compute_is_refused(tmp_path, dtype):
    def change(document):
        document["config"]["layers"][1]["config"]["dtype"] = dtype
        return document
    message = hostile(tmp_path, "dtype.npz", with_document(change)(tmp_path))
    assert repr(dtype) in message and "float32 or float64" in message


@pytest.mark.parametrize("dtype", ["float32", "float64", None])
def test_a_float_layer_dtype_still_loads(tmp_path, dtype):
    def change(document):
        document["config"]["layers"][1]["config"]["dtype"] = dtype
        return document
    (tmp_path / "m.npz").write_bytes(with_document(change)(tmp_path))
    assert engine.load_model(tmp_path / "m.npz").layers[1].kernel.dtype == (dtype or "float32")


def test_a_flatten_input_shape_whose_product_overflows_to_784_is_refused(tmp_path):
    """16 * (2**60 + 49) = 2**64 + 784, which int64 arithmetic wraps around to 784."""
    def change(document):
        document["config"]["layers"][0]["config"]["input_shape"] = [16, 2**60 + 49]
        document["config"]["input_shape"] = [16, 2**60 + 49]
        return document
    assert np.prod([16, 2**60 + 49]) == 784  # what made it look like an MNIST model
    model = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(8), Dense(3)])
    model.save(tmp_path / "flat.npz")
    with np.load(tmp_path / "flat.npz") as archive:
        arrays = {k: archive[k] for k in archive.files}
    document = change(json.loads(arrays.pop("__model__").tobytes()))
    data = npz_bytes(__model__=document_array(document), **arrays)
    assert "input_shape" in hostile(tmp_path, "overflow.npz", data)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.int32, np.bool_])
def test_weights_that_are_not_real_floats_are_refused_not_cast(tmp_path, dtype):
    def change(weights):
        weights["weight_0"] = weights["weight_0"].astype(dtype)
    message = hostile(tmp_path, "complex.npz", with_weights(change)(tmp_path))
    assert "weight_0 holds" in message and np.dtype(dtype).name in message


def test_object_weights_are_refused_without_unpickling(tmp_path):
    members = good_members(tmp_path)
    members["weight_0.npy"] = npy_header((20, 8), "|O") + b"\x80\x04garbage"
    assert "weight_0 holds object values" in hostile(tmp_path, "object.npz", zip_bytes(members))


def test_weights_declaring_more_data_than_their_member_holds_are_refused(tmp_path):
    members = good_members(tmp_path)
    members["weight_0.npy"] = npy_header((20, 8)) + b"\0" * 100
    assert "weight_0 is truncated" in hostile(tmp_path, "short.npz", zip_bytes(members))


def test_nan_weights_in_a_file_are_refused(tmp_path):
    def change(weights):
        weights["weight_1"] = np.full_like(weights["weight_1"], np.nan)
    assert "weight_1 holds NaN" in hostile(tmp_path, "nan.npz", with_weights(change)(tmp_path))


def test_fortran_ordered_weights_load_with_their_values(tmp_path):
    path, document, weights = good_parts(tmp_path)
    weights["weight_0"] = np.asfortranarray(weights["weight_0"])
    (tmp_path / "f.npz").write_bytes(npz_bytes(__model__=document_array(document), **weights))
    np.testing.assert_array_equal(engine.load_model(tmp_path / "f.npz").get_weights()[0], weights["weight_0"])


@pytest.mark.parametrize("case", ["version-text", "model-name-number", "layer-name-list", "no-layers",
                                  "no-input-shape", "compile-list", "unknown-argument"])
def test_odd_descriptions_raise_the_documented_value_error(tmp_path, case):
    def change(document):
        config = document["config"]
        if case == "version-text":
            document["version"] = "1"
        elif case == "model-name-number":
            config["name"] = 5
        elif case == "layer-name-list":
            config["layers"][1]["config"]["name"] = ["a"]
        elif case == "no-layers":
            config["layers"] = []
        elif case == "no-input-shape":
            config["input_shape"] = None
            del config["layers"][0]["config"]["input_shape"]
        elif case == "compile-list":
            document["compile"] = [1]
        else:
            config["layers"][1]["config"]["kernel_size"] = 3
        return document
    hostile(tmp_path, f"{case}.npz", with_document(change)(tmp_path))


# ----- saving: messages and leftovers (issue 12, items 11 and 24) -------------------------------------
def test_saving_into_a_missing_folder_names_the_folder_not_a_temporary_file(tmp_path):
    target = tmp_path / "missing" / "m.npz"
    with pytest.raises(FileNotFoundError) as info:
        trained_model().save(target)
    message = str(info.value)
    assert message == f"Cannot save m.npz: the folder {tmp_path / 'missing'} does not exist"
    assert ".tmp" not in message


def test_saving_over_a_folder_says_so(tmp_path):
    (tmp_path / "m.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder") as info:
        trained_model().save(tmp_path / "m.npz")
    assert ".tmp" not in str(info.value)


def test_a_failed_write_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    def full(*args):
        raise OSError(28, "No space left on device", str(tmp_path / ".m.npz.abcdefgh.tmp"))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError) as info:
        trained_model().save(tmp_path / "m.npz")
    assert str(info.value) == f"Cannot save {tmp_path / 'm.npz'}: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_a_model_with_nan_weights_is_not_saved(tmp_path):
    model = trained_model()
    weights = model.get_weights()
    weights[0][0, 0] = np.nan
    model.set_weights(weights)
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_later_save_removes_the_temporary_files_of_killed_saves(tmp_path):
    """A save killed mid-write (kill -9) leaves .m.npz.xxxxxxxx.tmp behind; the next save of m.npz
    removes those old enough to be dead, and nothing else."""
    old = time.time() - 2 * serialization.STALE_TEMP_SECONDS
    stale = [tmp_path / ".m.npz.k1ll3d_1.tmp", tmp_path / ".m.npz.abcdefgh.tmp"]
    fresh = tmp_path / ".m.npz.wr1t1ng_.tmp"  # another save, writing right now
    other = tmp_path / ".other.npz.abcdefgh.tmp"  # another file's save
    odd = [tmp_path / ".m.npz.abc.tmp", tmp_path / "m.npz.abcdefgh.tmp"]  # not names we make
    folder_like = tmp_path / ".m.npz.f0lder__.tmp"
    folder_like.mkdir()
    for path in [*stale, fresh, other, *odd]:
        path.write_bytes(b"half a model")
    for path in [*stale, other, *odd, folder_like]:
        os.utime(path, (old, old))
    trained_model().save(tmp_path / "m.npz")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["m.npz", fresh.name, other.name, *(p.name for p in odd), folder_like.name])
    engine.load_model(tmp_path / "m.npz")
