// NHWC float32 Conv2D and its two gradients with oneDNN, as XLA:CPU FFI handlers.
//
// Called from inside compiled XLA:CPU executables (custom calls), so a convolution never
// leaves the compiled segment. Layouts are TensorFlow's: input/output NHWC, filter HWIO.
// Every handler takes one int64 attr `geometry` =
//   [stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left, pad_bottom, pad_right]
// (TF's dilations: 1 is none). The shapes come from the buffers. oneDNN picks its own
// blocked filter layout (`any`): the filter, or its gradient, is reordered from or to HWIO
// around each call; activations stay NHWC, which oneDNN's JIT kernels read directly.
// Primitives are built once per (kind, shapes, geometry) and shared by all threads
// (executing a oneDNN primitive is thread-safe; each thread has its own stream and
// scratchpad, since the library's shared scratchpad is not).
//
// Threads: every oneDNN primitive runs on one thread (OpenMP's team of 1: no parallel
// region). A convolution is split over the batch into chunks (`Chunks`), each one
// single-threaded primitive call; the calling thread and this library's helper threads
// (`Pool`: cores - 1 of them) take chunks from a shared counter until none is left, and the
// caller then waits only for chunks a helper has already started. A helper that is late
// (descheduled on a busy machine) finds nothing left and the caller has done its share: no
// thread waits at a barrier for one that has not started, as an OpenMP team's threads do
// (that is what made the whole-team scheme 1.5x slower than TensorFlow's step on a loaded
// 2-core machine, `benchmarks/train_step.py`). A filter gradient's chunks each write their
// own partial filter gradient, summed by the caller (a few KB: oneDNN's own split of the
// reduction over threads cost 4x the CPU time on a 5x5x1x32 filter over 64x28x28).

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <omp.h>

#include "oneapi/dnnl/dnnl.hpp"
#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;
using dnnl::memory;
using tag = dnnl::memory::format_tag;

namespace {

enum Kind : int64_t { kForward, kBackpropInput, kBackpropFilter };

// kind, N, H, W, C, KH, KW, O, OH, OW, then the 8 geometry entries.
using Key = std::array<int64_t, 18>;

// The batch of a convolution is cut into up to this many chunks per thread: more chunks
// balance better when a thread is slowed, fewer cost fewer primitive calls.
constexpr int kChunksPerThread = 2;

struct Conv {
  dnnl::primitive prim;
  memory::desc weights;     // the primitive's filter (or filter gradient) layout
  memory::desc user;        // HWIO
  memory::desc scratchpad;
  dnnl::reorder to_user;    // weights -> user (filter gradient), or
  dnnl::reorder from_user;  // user -> weights (filter), when the layouts differ
  bool reorder = false;
};

// OpenMP's thread count for this thread's parallel regions (a per-thread setting), for
// the scope's life.
class Threads {
 public:
  explicit Threads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~Threads() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

// Runs fn(0..n-1) on the calling thread and the helper threads, each index once.
class Pool {
 public:
  explicit Pool(int helpers) {
    for (int i = 0; i < helpers; ++i) std::thread([this] { Serve(); }).detach();
  }

  void Run(int n, const std::function<void(int)>& fn) {
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->n = n;
    if (n > 1) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = job;
        ++epoch_;
      }
      wake_.notify_all();
    }
    Work(*job);
    std::unique_lock<std::mutex> lock(job->mutex);
    job->finished.wait(lock, [&] { return job->done == job->n; });
  }

 private:
  struct Job {
    const std::function<void(int)>* fn;
    int n = 0;
    std::atomic<int> next{0};
    int done = 0;  // under `mutex`
    std::mutex mutex;
    std::condition_variable finished;
  };

  static void Work(Job& job) {
    for (int i; (i = job.next.fetch_add(1)) < job.n;) {
      (*job.fn)(i);
      std::lock_guard<std::mutex> lock(job.mutex);
      if (++job.done == job.n) job.finished.notify_all();
    }
  }

  void Serve() {
    omp_set_num_threads(1);
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return epoch_ != seen; });
        seen = epoch_;
        job = job_;
      }
      Work(*job);  // nothing left to do if the caller was quicker
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<Job> job_;
  uint64_t epoch_ = 0;
};

// OpenMP's thread count (OMP_NUM_THREADS, else the cores) when first asked.
int Cores() {
  static const int n = std::max(omp_get_max_threads(), 1);
  return n;
}

Pool& Helpers() {  // never destroyed: its threads outlive static destructors
  static Pool* pool = new Pool(Cores() - 1);
  return *pool;
}

int Chunks(int64_t batch) {
  int64_t n = int64_t{kChunksPerThread} * Cores();
  return static_cast<int>(std::max<int64_t>(1, std::min(batch, n)));
}

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& Stream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

void* Scratch(size_t bytes, int slot) {
  thread_local std::vector<char> buffers[2];
  std::vector<char>& buffer = buffers[slot];
  if (buffer.size() < bytes + 64) buffer.resize(bytes + 64);
  uintptr_t at = reinterpret_cast<uintptr_t>(buffer.data());
  return reinterpret_cast<void*>((at + 63) & ~uintptr_t{63});
}

dnnl::convolution_forward::primitive_desc ForwardDesc(const Key& k,
                                                      const dnnl::primitive_attr& attr) {
  memory::dims src = {k[1], k[4], k[2], k[3]}, wei = {k[7], k[4], k[5], k[6]};
  memory::dims dst = {k[1], k[7], k[8], k[9]};
  auto f32 = memory::data_type::f32;
  return dnnl::convolution_forward::primitive_desc(
      Engine(), dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
      memory::desc(src, f32, tag::nhwc), memory::desc(wei, f32, tag::any),
      memory::desc(dst, f32, tag::nhwc), {k[10], k[11]}, {k[12] - 1, k[13] - 1},
      {k[14], k[15]}, {k[16], k[17]}, attr);
}

template <typename Desc>
void Finish(Conv& conv, const Desc& pd, const memory::desc& weights, bool into_user) {
  conv.prim = dnnl::primitive(pd);
  conv.weights = weights;
  conv.scratchpad = pd.scratchpad_desc();
  conv.reorder = conv.weights != conv.user;
  if (!conv.reorder) return;
  auto& eng = Engine();
  if (into_user) {
    conv.to_user = dnnl::reorder(dnnl::reorder::primitive_desc(eng, weights, eng, conv.user));
  } else {
    conv.from_user = dnnl::reorder(dnnl::reorder::primitive_desc(eng, conv.user, eng, weights));
  }
}

// The primitive for key `k` (whose batch is one chunk's), single-threaded.
std::unique_ptr<Conv> Build(const Key& k) {
  auto conv = std::make_unique<Conv>();
  Threads threads(1);  // oneDNN sizes its work split when it builds
  conv->user = memory::desc({k[7], k[4], k[5], k[6]}, memory::data_type::f32, tag::hwio);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  auto forward = ForwardDesc(k, attr);
  if (k[0] == kForward) {
    Finish(*conv, forward, forward.weights_desc(), false);
    return conv;
  }
  auto f32 = memory::data_type::f32;
  memory::desc x({k[1], k[4], k[2], k[3]}, f32, tag::nhwc);
  memory::desc w({k[7], k[4], k[5], k[6]}, f32, tag::any);
  memory::desc y({k[1], k[7], k[8], k[9]}, f32, tag::nhwc);
  memory::dims strides = {k[10], k[11]}, dilations = {k[12] - 1, k[13] - 1};
  memory::dims lo = {k[14], k[15]}, hi = {k[16], k[17]};
  auto direct = dnnl::algorithm::convolution_direct;
  if (k[0] == kBackpropInput) {
    dnnl::convolution_backward_data::primitive_desc pd(Engine(), direct, x, w, y, strides,
                                                       dilations, lo, hi, forward, attr);
    Finish(*conv, pd, pd.weights_desc(), false);
  } else {
    dnnl::convolution_backward_weights::primitive_desc pd(
        Engine(), direct, x, w, y, strides, dilations, lo, hi, forward, attr);
    Finish(*conv, pd, pd.diff_weights_desc(), true);
  }
  return conv;
}

struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 0;
    for (int64_t v : k) h = h * 1000003u ^ static_cast<size_t>(v);
    return h;
  }
};

const Conv& Cached(const Key& k) {
  static std::mutex mutex;
  static std::unordered_map<Key, std::unique_ptr<Conv>, KeyHash> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[k];
  if (!slot) slot = Build(k);
  return *slot;
}

// (N, H, W, C) of the input, (KH, KW, C, O) of the filter, (N, OH, OW, O) of the output.
Key MakeKey(Kind kind, ffi::Span<const int64_t> x, ffi::Span<const int64_t> w,
            ffi::Span<const int64_t> y, ffi::Span<const int64_t> geometry) {
  Key k = {kind, x[0], x[1], x[2], x[3], w[0], w[1], w[3], y[1], y[2]};
  for (int i = 0; i < 8; ++i) k[10 + i] = geometry[i];
  return k;
}

ffi::Error Run(Kind kind, void* x, void* w, void* y, const Key& k) {
  try {
    const int64_t batch = k[1];
    int chunks = Chunks(batch);
    Threads threads(1);
    // Chunk i covers images [first(i), first(i + 1)): sizes differ by at most one, so at
    // most two primitives (both built here, before any helper runs one). They must share
    // the filter's layout; if oneDNN chose two, the chunks are made equal.
    Key small = k, large = k;
    small[1] = batch / chunks;
    large[1] = (batch + chunks - 1) / chunks;
    const Conv* a = &Cached(small);
    const Conv* b = &Cached(large);
    if (a->weights != b->weights) {
      while (batch % chunks) --chunks;
      small[1] = large[1] = batch / chunks;
      a = b = &Cached(small);
    }
    auto first = [&](int i) { return batch * i / chunks; };
    auto conv_for = [&](int64_t n) -> const Conv& { return n == small[1] ? *a : *b; };
    auto& eng = Engine();
    auto f32 = memory::data_type::f32;
    const int64_t x_image = k[2] * k[3] * k[4], y_image = k[8] * k[9] * k[7];
    float* xf = static_cast<float*>(x);
    float* yf = static_cast<float*>(y);
    memory user(a->user, eng, w);
    // The filter in the primitives' layout (both chunk sizes' primitives share it), or the
    // partial filter gradients, one per chunk (summed below, in that layout).
    const size_t weight_bytes = a->weights.get_size();
    char* weights = static_cast<char*>(
        kind == kBackpropFilter ? Scratch(weight_bytes * chunks, 0)
        : a->reorder             ? Scratch(weight_bytes, 0)
                                : w);
    if (kind != kBackpropFilter && a->reorder) {
      memory wm(a->weights, eng, weights);
      a->from_user.execute(Stream(), user, wm);
      Stream().wait();
    }
    std::function<void(int)> chunk = [&](int i) {
      const int64_t at = first(i), n = first(i + 1) - at;
      const Conv& conv = conv_for(n);
      memory xm(memory::desc({n, k[4], k[2], k[3]}, f32, tag::nhwc), eng, xf + at * x_image);
      memory ym(memory::desc({n, k[7], k[8], k[9]}, f32, tag::nhwc), eng, yf + at * y_image);
      memory pad(conv.scratchpad, eng, Scratch(conv.scratchpad.get_size(), 1));
      auto& stream = Stream();
      if (kind == kForward) {
        memory wm(conv.weights, eng, weights);
        conv.prim.execute(stream, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm},
                                   {DNNL_ARG_DST, ym}, {DNNL_ARG_SCRATCHPAD, pad}});
      } else if (kind == kBackpropInput) {
        memory wm(conv.weights, eng, weights);
        conv.prim.execute(stream, {{DNNL_ARG_DIFF_SRC, xm}, {DNNL_ARG_WEIGHTS, wm},
                                   {DNNL_ARG_DIFF_DST, ym}, {DNNL_ARG_SCRATCHPAD, pad}});
      } else {
        memory wm(conv.weights, eng, weights + weight_bytes * i);
        conv.prim.execute(stream, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_WEIGHTS, wm},
                                   {DNNL_ARG_DIFF_DST, ym}, {DNNL_ARG_SCRATCHPAD, pad}});
      }
      stream.wait();
    };
    std::exception_ptr error;
    std::mutex error_mutex;
    std::function<void(int)> guarded = [&](int i) {
      try {
        chunk(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    };
    Helpers().Run(chunks, guarded);
    if (error) std::rethrow_exception(error);
    if (kind == kBackpropFilter) {
      float* sum = reinterpret_cast<float*>(weights);
      const size_t count = weight_bytes / sizeof(float);
      for (int i = 1; i < chunks; ++i) {
        const float* part = reinterpret_cast<const float*>(weights + weight_bytes * i);
        for (size_t j = 0; j < count; ++j) sum[j] += part[j];
      }
      if (a->reorder) {
        memory wm(a->weights, eng, weights);
        a->to_user.execute(Stream(), wm, user);
        Stream().wait();
      } else {
        std::memcpy(w, weights, weight_bytes);
      }
    }
  } catch (const std::exception& e) {  // dnnl::error, or out of memory
    return ffi::Error(ffi::ErrorCode::kInternal, std::string("oneDNN: ") + e.what());
  }
  return ffi::Error::Success();
}

using F32 = ffi::Buffer<ffi::F32, 4>;
using F32Out = ffi::ResultBuffer<ffi::F32, 4>;
using Ints = ffi::Span<const int64_t>;

ffi::Error Forward(F32 x, F32 w, F32Out y, Ints geometry) {
  Key k = MakeKey(kForward, x.dimensions(), w.dimensions(), y->dimensions(), geometry);
  return Run(kForward, x.untyped_data(), w.untyped_data(), y->untyped_data(), k);
}

ffi::Error BackpropInput(F32 w, F32 dy, F32Out dx, Ints geometry) {
  Key k = MakeKey(kBackpropInput, dx->dimensions(), w.dimensions(), dy.dimensions(), geometry);
  return Run(kBackpropInput, dx->untyped_data(), w.untyped_data(), dy.untyped_data(), k);
}

ffi::Error BackpropFilter(F32 x, F32 dy, F32Out dw, Ints geometry) {
  Key k = MakeKey(kBackpropFilter, x.dimensions(), dw->dimensions(), dy.dimensions(), geometry);
  return Run(kBackpropFilter, x.untyped_data(), dw->untyped_data(), dy.untyped_data(), k);
}

}  // namespace

XLA_FFI_DEFINE_HANDLER_SYMBOL(
    FlowgraphOnednnConv2D, Forward,
    ffi::Ffi::Bind().Arg<F32>().Arg<F32>().Ret<F32>().Attr<Ints>("geometry"));
XLA_FFI_DEFINE_HANDLER_SYMBOL(
    FlowgraphOnednnConv2DBackpropInput, BackpropInput,
    ffi::Ffi::Bind().Arg<F32>().Arg<F32>().Ret<F32>().Attr<Ints>("geometry"));
XLA_FFI_DEFINE_HANDLER_SYMBOL(
    FlowgraphOnednnConv2DBackpropFilter, BackpropFilter,
    ffi::Ffi::Bind().Arg<F32>().Arg<F32>().Ret<F32>().Attr<Ints>("geometry"));

// The oneDNN version the library was built against, for the loader's log line.
extern "C" const char* FlowgraphOnednnVersion() {
  static std::string text = [] {
    const dnnl_version_t* v = dnnl_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->patch);
  }();
  return text.c_str();
}
