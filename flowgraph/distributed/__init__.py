"""Distributed runtime: TensorFlow's master and worker services over grpcio.

How a `grpc://` session runs (TF's distributed runtime, with one change in how tensors
travel):

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
  cuts the step into stages: a node's stage counts the task changes on the longest path
  to it, so a stage's partitions (one per task) depend only on earlier stages. Each
  partition is a GraphDef with TF's `_Recv`/`_Send` nodes (TF's rendezvous keys) and is
  registered once per task (RegisterGraph); a step is one RunGraph per partition, stage
  after stage, partitions of one stage in parallel. Variables and resources are read
  where they live, never sent to their own task.
- Tensors travel inside RunGraph (`send` / `recv_key`, as raw `tensor_content` bytes,
  written from and read into numpy buffers by `wire.py`: one copy each way) rather than
  by RecvTensor calls between workers: an async ps step is 2 RunGraph calls to
  the ps (read the variables; apply the gradients) and one in-process partition, against
  TF's RunGraph plus a RecvTensor per crossing tensor.
- A worker (`worker.py`) runs a partition like a local session: `_Recv` nodes become
  placeholders, `_Send` inputs fetches, and the device plan compiles it with `jax.jit`.
- Messages may be 2 GiB - 1; a task that does not answer is waited for at CreateSession
  (logging "CreateSession still waiting for response from worker: …" every 10 s; bounded
  by `operation_timeout_in_ms`, `device_filters` limiting whom to wait for); a lost task
  gives UnavailableError, a restarted one AbortedError (its graphs are gone), which
  MonitoredTrainingSession recovers from by a new session restored from its checkpoint.
"""
