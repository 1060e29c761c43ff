"""One checkpoint shard per process (`flowgraph/distribute/checkpoint.py`): which variables
each process writes; the saves themselves run in tests/distribute/test_allreduce.py."""

import flowgraph as tf
from flowgraph.distribute import checkpoint
from flowgraph.train.saver import validate_and_slice_inputs


def _saveables(shapes):
    tf.reset_default_graph()
    variables = [tf.Variable(tf.zeros(s), name=f"v{i}") for i, s in enumerate(shapes)]
    return validate_and_slice_inputs(variables)


def test_processes_get_about_equal_bytes_in_the_variables_order():
    saveables = _saveables([[10], [100], [30], [60], [5]])
    parts = checkpoint.assign_to_processes(saveables, 2)
    names = [[s.name for s in part] for part in parts]
    assert names == [["v1", "v4"], ["v0", "v2", "v3"]]  # 105 and 100 floats
    assert sorted(n for part in names for n in part) == [s.name for s in saveables]


def test_every_process_gets_the_same_assignment_and_extra_processes_none():
    first = [[s.name for s in p] for p in checkpoint.assign_to_processes(_saveables([[3]] * 3), 4)]
    again = [[s.name for s in p] for p in checkpoint.assign_to_processes(_saveables([[3]] * 3), 4)]
    assert first == again == [["v0"], ["v1"], ["v2"], []]


def test_outside_a_job_a_sharded_save_is_per_device():
    assert checkpoint.job_shard() is None
