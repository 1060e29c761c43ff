"""Distributed runtime: TensorFlow's master and worker services over grpcio.

How a `grpc://` session runs (TF's distributed runtime; a partition's nodes also carry
a flowgraph-specific `_flowgraph_stage` attr, which TF ignores):

- `tf.train.Server` runs, in its process, a grpcio server with TF's `MasterService` and
  `WorkerService` (`/tensorflow.MasterService/CreateSession`, ...,
  `/tensorflow.WorkerService/RunGraph`, ...; TF's messages and field numbers,
  `protocol_pb2`), and a resource manager (`device.Store`): variables, queues and
  accumulators by container / shared name, shared by every session and outliving them.
- `Session("grpc://host:port")` is a client of that master (`remote.py`): the graph goes
  over once (CreateSession, then ExtendSession with new ops), each `run` is one RunStep.
  A target served by this process skips gRPC (TF's LocalMaster).
- The master (`master.py`) imports the GraphDef, prunes each (feeds, fetches, targets),
  places every op on a task (its colocation group's `/job:…/task:…`, else the master's own
  task; a task the cluster lacks is an InvalidArgumentError naming the op and device) and
  cuts the step into one partition per task, with TF's `_Send`/`_Recv` pairs (TF's
  rendezvous keys) on the edges between tasks (a control edge sends a dummy scalar).
  Each partition is registered once with its task (RegisterGraph); a step is one
  RunGraph per task, all at once (one step id), as in TF.
- Inside a RunGraph the partition runs in stages (`stages.py`): a node's stage counts the
  task changes on the longest path to it, so stage k needs only what other tasks sent
  from earlier stages. Between stages the task pulls those tensors with RecvTensor from
  the sending task's rendezvous (`rendezvous.py`), where each send waits, by step and
  key, until pulled: an async ps step is one RunGraph on the ps (read the variables;
  then, once the gradients are pulled from the worker, apply them) and one in-process
  partition on the worker. The client's feeds travel in RunGraph's `send`, its fetches
  in the response. A partition that fails aborts its step's rendezvous (those pulling
  from it fail at once) and the master ends the step on every task (CleanupGraph).
- Tensors travel as raw `tensor_content` bytes, written from and read into numpy
  buffers by `wire.py` (one copy each way), in RunGraph and RecvTensor messages alike.
- A worker (`worker.py`) runs each stage like a local session: `_Recv` nodes become
  placeholders, `_Send` inputs fetches, and the device plan compiles it with `jax.jit`.
  A RunGraph's deadline (its gRPC deadline: the step's `timeout_in_ms` or the session's
  `operation_timeout_in_ms`) bounds its waiting ops and its pulls.
- Messages may be 2 GiB - 1; a task that does not answer is waited for at CreateSession
  (logging "CreateSession still waiting for response from worker: …" every 10 s; bounded
  by `operation_timeout_in_ms`, `device_filters` limiting whom to wait for); a lost task
  gives UnavailableError, a restarted one AbortedError (its graphs are gone), which
  MonitoredTrainingSession recovers from by a new session restored from its checkpoint.
"""
