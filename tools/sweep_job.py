"""Helper for programs run by sweep_runner's `exec` model (standard library only; numpy and h5py are
used when present and needed).

In a script started by a sweep with ``model: exec``::

    import sweep_job
    p = sweep_job.params()                                   # this job's parameters (a dict)
    ...
    sweep_job.write({"loss": loss}, arrays={"curve": curve})  # the results, in the sweep's format

``params()`` reads the file named by ``$SWEEP_RUNNER_PARAMS_FILE`` (set by sweep_runner; or pass a
path, e.g. the ``{params_file}`` argument). ``write()`` writes ``$SWEEP_RUNNER_OUTPUT_FILE`` (or the
path given) as JSON, HDF5 (``.h5``, needs h5py) or ``.npz`` (needs numpy), chosen by its extension.
Metrics are numbers; arrays are (nested) lists or numpy arrays. Nested dicts of metrics or arrays
become dotted names ("val.loss").
"""

import json
import math
import os
import tempfile

__all__ = ["params", "write", "output_file", "job_dir"]


def _env(name, given):
    if given is not None:
        return os.fspath(given)
    value = os.environ.get(name)
    if not value:
        raise RuntimeError("%s is not set: run this script through sweep_runner (model: exec) "
                           "or pass the path explicitly" % name)
    return value


def params(path=None):
    """The job's resolved parameters (the user's own; the `exec` settings are not included)."""
    with open(_env("SWEEP_RUNNER_PARAMS_FILE", path), encoding="utf-8") as f:
        return json.load(f)


def output_file():
    return _env("SWEEP_RUNNER_OUTPUT_FILE", None)


def job_dir():
    return _env("SWEEP_RUNNER_JOB_DIR", None)


def _flatten(tree, prefix=""):
    out = {}
    for key, value in (tree or {}).items():
        name = prefix + str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _plain(value):
    """numpy arrays and scalars to lists and floats, for JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _metric(name, value):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError("metric %r must be a number, got %r" % (name, value)) from None


def write(metrics, arrays=None, path=None):
    """Writes the job's result file atomically (a temporary file renamed into place)."""
    path = _env("SWEEP_RUNNER_OUTPUT_FILE", path)
    metrics = {k: _metric(k, v) for k, v in _flatten(metrics).items()}
    arrays = _flatten(arrays)
    folder = os.path.dirname(os.path.abspath(path))
    ext = os.path.splitext(path)[1].lower()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=ext)
    os.close(fd)
    try:
        if ext == ".json":
            doc = {"metrics": metrics, "arrays": {k: _plain(v) for k, v in arrays.items()}}
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(doc, f, allow_nan=True)  # NaN is written bare; sweep_runner reports it
        elif ext == ".npz":
            import numpy as np
            data = {k: np.asarray(v) for k, v in arrays.items()}
            for k, v in metrics.items():
                if k in data:
                    raise ValueError("%r is both a metric and an array" % k)
                data[k] = np.asarray(v, dtype=np.float64)  # 0-d arrays are metrics
            with open(tmp, "wb") as f:
                np.savez(f, **data)
        elif ext in (".h5", ".hdf5"):
            import h5py
            import numpy as np
            with h5py.File(tmp, "w") as f:
                for k, v in metrics.items():
                    f.attrs[k] = v  # scalar attributes are metrics
                for k, v in arrays.items():
                    f.create_dataset(k, data=np.asarray(v))
        else:
            raise ValueError("unsupported output file type %r (expected .json, .h5 or .npz)" % ext)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


if __name__ == "__main__":  # a tiny self-check: python3 tools/sweep_job.py
    d = tempfile.mkdtemp()
    for ext in (".json", ".npz", ".h5"):
        try:
            write({"a": 1.5, "nan": math.nan}, {"x": [[1, 2], [3, 4]]}, path=os.path.join(d, "out" + ext))
            print("wrote", ext)
        except ImportError as e:
            print("skipped", ext, e)
