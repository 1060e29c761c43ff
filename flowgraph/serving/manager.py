"""The server's core: models, their versions' states, loading, swapping and unloading.

Versions follow TF Serving's availability-preserving order: a new version is loaded and
warmed up, becomes AVAILABLE (new requests go to it), and only then is an old one made
UNLOADING; it is unloaded once its in-flight requests have finished, and reaches END.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from flowgraph.serving import apis, status, storage, warmup
from flowgraph.serving.servable import Servable

_LOG = logging.getLogger("flowgraph.serving")
_STATE = apis.ModelVersionStatus.State


class _Version:
    """One version's state (a `ModelVersionStatus.State`), servable and in-flight count."""

    def __init__(self, version):
        self.version, self.state, self.error = version, _STATE.START, None
        self.servable, self.in_flight, self.failures = None, 0, 0


class _Model:
    def __init__(self, config):
        self.config, self.versions = config, {}

    def available(self):
        return {v: e for v, e in self.versions.items() if e.state == _STATE.AVAILABLE}


def _needs_load(entry):
    # Never seen, waiting for a retry, or unloaded earlier (not a version that failed for good).
    return (
        entry is None
        or entry.state == _STATE.START
        or (entry.state == _STATE.END and entry.error is None)
    )


def _servable_id(name, version):
    return f"{{name: {name} version: {version}}}"


class ServerCore:
    """Loads the models of a `ModelServerConfig` and hands out their servables.

    Args:
      batching: `BatchingParameters` for every servable, or None.
      max_num_load_retries: how many times a failed load is retried (on later polls).
    """

    def __init__(self, batching=None, max_num_load_retries=5):
        self._batching, self._max_retries = batching, max_num_load_retries
        self._models = {}
        self._lock = threading.Condition()
        self._poll_lock = threading.Lock()

    def reload_config(self, config):
        """Serves exactly the models of `config`: adds, updates and removes models, then polls.

        Raises:
          ServingError: the config is invalid (a model without a name or base path, a name
            twice, a version label for a version that is not available).
        """
        configs = _model_configs(config)
        with self._poll_lock:
            with self._lock:
                removed = [self._models.pop(n) for n in list(self._models) if n not in configs]
                for name, model_config in configs.items():
                    self._models.setdefault(name, _Model(model_config)).config = model_config
            for model in removed:
                self._unload_all(model)
            self._poll()
        self._check_labels(configs)

    def poll(self):
        """Looks at every model's base path once: loads, swaps and unloads versions."""
        with self._poll_lock:
            self._poll()

    def _poll(self):
        with self._lock:
            models = list(self._models.values())
        for model in models:
            self._reconcile(model)

    def _reconcile(self, model):
        config = model.config
        on_disk = storage.versions_on_disk(config.base_path)
        ready = self._ready_versions(model, on_disk)
        aspired = storage.aspired_versions(config.model_version_policy, ready)
        for version in sorted(aspired):
            if _needs_load(model.versions.get(version)):
                self._load(model, version, on_disk[version])
        if aspired & set(model.available()) or not aspired:
            for version, entry in model.available().items():
                if version not in aspired:
                    self._unload(model, entry)

    def _ready_versions(self, model, on_disk):
        """The versions that are loaded or complete on disk, checking as few as the policy
        needs (the newest first)."""
        policy = model.config.model_version_policy
        wanted = len(on_disk)
        if policy.WhichOneof("policy_choice") in (None, "latest"):
            wanted = max(policy.latest.num_versions, 1)
        ready = set()
        for version in sorted(on_disk, reverse=True):
            if not _needs_load(model.versions.get(version)):
                ready.add(version)
            elif len(ready) < wanted and storage.is_complete(on_disk[version]):
                ready.add(version)
        return ready

    def _load(self, model, version, path):
        name = model.config.name
        with self._lock:
            entry = model.versions.setdefault(version, _Version(version))
            entry.state = _STATE.LOADING
        _LOG.info("Loading servable version %s", _servable_id(name, version))
        try:
            servable = Servable(name, version, path, self._batching)
            warmup.run(servable)
        except Exception as e:  # noqa: BLE001  (a bad version must not stop the server)
            self._load_failed(model, entry, e)
            return
        with self._lock:
            entry.servable, entry.state = servable, _STATE.AVAILABLE
        _LOG.info("Successfully loaded servable version %s", _servable_id(name, version))

    def _load_failed(self, model, entry, error):
        entry.failures += 1
        servable_id = _servable_id(model.config.name, entry.version)
        message = f"Loading servable: {servable_id} failed: {error}"
        if entry.failures > self._max_retries:
            entry.state, entry.error = _STATE.END, status.unknown(message)
            _LOG.error("%s; giving up after %d retries", message, self._max_retries)
        else:
            entry.state = _STATE.START
            _LOG.warning("%s; retrying on the next poll", message)

    def _unload(self, model, entry):
        servable_id = _servable_id(model.config.name, entry.version)
        with self._lock:
            entry.state = _STATE.UNLOADING
            _LOG.info("Quiescing servable version %s", servable_id)
            while entry.in_flight:
                self._lock.wait()
        _LOG.info("Unloading servable version %s", servable_id)
        entry.servable.close()
        with self._lock:
            entry.servable, entry.state = None, _STATE.END
        _LOG.info("Done unloading servable version %s", servable_id)

    def _unload_all(self, model):
        for entry in model.available().values():
            self._unload(model, entry)

    def stop(self):
        """Unloads every version (after its in-flight requests)."""
        with self._poll_lock:
            with self._lock:
                models = list(self._models.values())
            for model in models:
                self._unload_all(model)

    @contextlib.contextmanager
    def servable(self, model_spec):
        """The servable `model_spec` asks for (latest, version or label), held while in use.

        Raises:
          ServingError: NOT_FOUND "Servable not found for request: …", or INVALID_ARGUMENT
            for an unknown version label.
        """
        with self._lock:
            entry = self._find(model_spec)
            entry.in_flight += 1
        try:
            yield entry.servable
        finally:
            with self._lock:
                entry.in_flight -= 1
                if not entry.in_flight:
                    self._lock.notify_all()

    def _find(self, spec):
        name = spec.name
        model = self._models.get(name)
        version = self._requested_version(model, spec)
        available = model.available() if model else {}
        if version is None and available:
            return available[max(available)]
        if version in available:
            return available[version]
        request = f"Specific({name}, {version})" if version is not None else f"Latest({name})"
        raise status.not_found(f"Servable not found for request: {request}")

    def _requested_version(self, model, spec):
        """The version `spec` names (by number or label), or None for the latest."""
        choice = spec.WhichOneof("version_choice")
        if choice == "version_label":
            labels = model.config.version_labels if model else {}
            if spec.version_label not in labels:
                raise status.invalid_argument(
                    f"Unrecognized servable version label: {spec.version_label}"
                )
            return labels[spec.version_label]
        return spec.version.value if choice == "version" else None

    def model_status(self, spec):
        """A `GetModelStatusResponse` for `spec` (one version, or every version seen)."""
        with self._lock:
            model = self._models.get(spec.name)
            versions = dict(model.versions) if model else {}
            versions = {v: e for v, e in versions.items() if e.state != _STATE.START}
            version = self._requested_version(model, spec)
            if version is not None:
                if version not in versions:
                    raise status.not_found(f"Could not find version {version} of model {spec.name}")
                versions = {version: versions[version]}
            if not versions:
                raise status.not_found(f"Could not find any versions of model {spec.name}")
            return _status_response(versions)

    def _check_labels(self, configs):
        for name, config in configs.items():
            available = self._models[name].available()
            for label, version in config.version_labels.items():
                if version not in available:
                    raise status.failed_precondition(
                        f"Request to assign label to version {version} of model {name}, which "
                        f"is not currently available for inference ({label})"
                    )


def _status_response(versions):
    response = apis.GetModelStatusResponse()
    for version in sorted(versions, reverse=True):
        entry = versions[version]
        item = response.model_version_status.add(version=version, state=entry.state)
        item.status.SetInParent()  # TF Serving always answers a status (OK when healthy)
        if entry.error is not None:
            item.status.error_code = entry.error.error_code
            item.status.error_message = entry.error.message
    return response


def _model_configs(config):
    if config.WhichOneof("config") != "model_config_list":
        raise status.invalid_argument("ModelServerConfig must hold a model_config_list")
    configs = {}
    for model_config in config.model_config_list.config:
        if not model_config.name or not model_config.base_path:
            raise status.invalid_argument("A model config needs a name and a base_path")
        if model_config.name in configs:
            raise status.invalid_argument(
                f"Illegal to list model {model_config.name} multiple times in config list"
            )
        configs[model_config.name] = model_config
    return configs


def poll_forever(core, seconds, stopped):
    """Polls `core` every `seconds` until the event `stopped` is set (a thread's target)."""
    while not stopped.wait(seconds):
        try:
            core.poll()
        except Exception:  # noqa: BLE001  (log and keep polling)
            _LOG.exception("Polling the file system failed")
