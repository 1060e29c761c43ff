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
// region). A convolution is split over the batch into chunks (`Chunks`: two per core),
// each one single-threaded primitive call, and posted to this library's helper threads
// (`Pool`, one per core), which take chunks from a shared counter; the FFI handler returns
// a future at once (an asynchronous XLA FFI handler), so XLA's thunk executor runs other
// work that does not need the convolution meanwhile, as TensorFlow's executor runs
// independent ops side by side. No thread waits at a barrier for one that has not been
// scheduled yet, as an OpenMP team's threads do. A filter gradient's chunks each write
// their own partial filter gradient, summed at the end (a few KB; oneDNN's own split of
// the reduction over threads cost 4x the CPU time on a 5x5x1x32 filter over 64x28x28).
// Figures: kernels/native/onednn.py.

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <pthread.h>
#include <new>
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

// kind, N, H, W, C, KH, KW, O, OH, OW, then the 8 geometry entries, then the OpenMP
// threads each primitive call runs on (1 unless the batch has fewer images than cores).
using Key = std::array<int64_t, 19>;

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

// OpenMP's thread count (OMP_NUM_THREADS, else the cores) when first asked.
int Cores() {
  static const int n = std::max(omp_get_max_threads(), 1);
  return n;
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
  Threads threads(static_cast<int>(k[18]));  // oneDNN sizes its work split when it builds
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
  k[18] = 1;
  return k;
}

// One convolution: `chunk(i)` for i in [0, n), then `finish()` on the thread that ends the
// last chunk, then the promise XLA waits on is fulfilled.
struct Job {
  std::function<void(int)> chunk;
  std::function<void()> finish;
  int n = 0;
  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::vector<char> weights;  // the reordered filter, or the partial filter gradients
  ffi::Promise promise;
  std::mutex error_mutex;
  std::exception_ptr error;
};

// The helper threads (one per core) and the convolutions posted to them, first come first
// served: a helper takes the next chunk of the oldest convolution that has one left.
class Pool {
 public:
  explicit Pool(int threads) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < threads; ++i) Start();
  }
  void Post(std::shared_ptr<Job> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
      // Every helper is away running XLA's work after a convolution it ended (which may
      // block, e.g. a host callback running another session): one more joins the pool,
      // so chunks never wait for a helper that may not come back.
      if (away_ == threads_) Start();
    }
    wake_.notify_all();
  }

 private:
  void Serve() {
    omp_set_num_threads(1);
    for (;;) {
      std::shared_ptr<Job> job;
      int i;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
          while (!jobs_.empty() && jobs_.front()->next.load() >= jobs_.front()->n) jobs_.pop_front();
          if (!jobs_.empty()) {
            job = jobs_.front();
            i = job->next.fetch_add(1);
            if (i < job->n) break;
            continue;
          }
          wake_.wait(lock);
        }
      }
      try {
        job->chunk(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(job->error_mutex);
        if (!job->error) job->error = std::current_exception();
      }
      if (job->done.fetch_add(1) + 1 == job->n) {
        if (!job->error) {
          try {
            job->finish();
          } catch (...) {
            job->error = std::current_exception();
          }
        }
        std::optional<ffi::Error> failed;
        if (job->error) {
          std::string what = "unknown error";
          try {
            std::rethrow_exception(job->error);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          failed = ffi::Error(ffi::ErrorCode::kInternal, "oneDNN: " + what);
        }
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ++away_;
        }
        // XLA's executor may go on here, on this thread, with the convolution's users.
        if (failed) {
          job->promise.SetError(std::move(*failed));
        } else {
          job->promise.SetAvailable();
        }
        std::lock_guard<std::mutex> lock(mutex_);
        --away_;
      }
    }
  }

  void Start() {  // under mutex_
    ++threads_;
    std::thread([this] { Serve(); }).detach();
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> jobs_;
  int threads_ = 0;  // helpers started
  int away_ = 0;     // helpers running XLA's work (a promise's continuation)
};

Pool* pool = nullptr;  // never destroyed: its threads outlive static destructors
std::mutex pool_mutex;

Pool& Helpers() {
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (!pool) {
    pool = new Pool(Cores());
    // A forked child has none of the parent's threads: it starts its own.
    static int once = pthread_atfork(nullptr, nullptr, [] {
      new (&pool_mutex) std::mutex;
      pool = nullptr;
    });
    (void)once;
  }
  return *pool;
}

// Posts the convolution `k` to the helpers and returns at once: XLA's executor goes on with
// other thunks that do not need its result (e.g. a variable's update beside the backward
// convolutions) and resumes this one's users when the last chunk ends.
ffi::Future Run(Kind kind, void* x, void* w, void* y, const Key& k) {
  auto job = std::make_shared<Job>();
  ffi::Future future(job->promise);
  try {
    const int64_t batch = k[1];
    int chunks = Chunks(batch);
    Threads threads(1);
    // Chunk i covers images [batch * i / chunks, batch * (i + 1) / chunks): sizes differ
    // by at most one, so at most two primitives (both built here, before any helper runs
    // one). They must share the filter's layout; if oneDNN chose two, the chunks are made
    // equal.
    // Fewer chunks than cores (a batch smaller than the cores): each chunk's primitive runs
    // on an OpenMP team of the cores it leaves (batch 1: all of them, oneDNN's own split).
    auto team_for = [](int chunks) { return chunks < Cores() ? Cores() / chunks : 1; };
    int team = team_for(chunks);
    Key small = k, large = k;
    small[1] = batch / chunks;
    large[1] = (batch + chunks - 1) / chunks;
    small[18] = large[18] = team;
    const Conv* a = &Cached(small);
    const Conv* b = &Cached(large);
    if (a->weights != b->weights) {
      while (batch % chunks) --chunks;
      team = team_for(chunks);
      small[1] = large[1] = batch / chunks;
      small[18] = large[18] = team;
      a = b = &Cached(small);
    }
    const size_t weight_bytes = a->weights.get_size();
    job->weights.resize((kind == kBackpropFilter ? weight_bytes * chunks : weight_bytes) + 64);
    uintptr_t at0 = reinterpret_cast<uintptr_t>(job->weights.data());
    char* weights = reinterpret_cast<char*>((at0 + 63) & ~uintptr_t{63});
    auto& eng = Engine();
    if (kind != kBackpropFilter) {
      if (a->reorder) {
        memory user(a->user, eng, w);
        memory wm(a->weights, eng, weights);
        a->from_user.execute(Stream(), user, wm);
        Stream().wait();
      } else {
        weights = static_cast<char*>(w);
      }
    }
    const int64_t small_n = small[1];
    job->n = chunks;
    job->chunk = [=](int i) {
      Threads one(team);
      auto f32 = memory::data_type::f32;
      auto& eng = Engine();
      const int64_t x_image = k[2] * k[3] * k[4], y_image = k[8] * k[9] * k[7];
      const int64_t at = batch * i / chunks, n = batch * (i + 1) / chunks - at;
      const Conv& conv = n == small_n ? *a : *b;
      memory xm(memory::desc({n, k[4], k[2], k[3]}, f32, tag::nhwc), eng,
                static_cast<float*>(x) + at * x_image);
      memory ym(memory::desc({n, k[7], k[8], k[9]}, f32, tag::nhwc), eng,
                static_cast<float*>(y) + at * y_image);
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
    job->finish = [=] {
      if (kind != kBackpropFilter) return;
      Threads one(1);
      float* sum = reinterpret_cast<float*>(weights);
      const size_t count = weight_bytes / sizeof(float);
      for (int i = 1; i < chunks; ++i) {
        const float* part = reinterpret_cast<const float*>(weights + weight_bytes * i);
        for (size_t j = 0; j < count; ++j) sum[j] += part[j];
      }
      if (a->reorder) {
        auto& eng = Engine();
        memory user(a->user, eng, w);
        memory wm(a->weights, eng, weights);
        a->to_user.execute(Stream(), wm, user);
        Stream().wait();
      } else {
        std::memcpy(w, weights, weight_bytes);
      }
    };
  } catch (const std::exception& e) {
    job->promise.SetError(ffi::Error(ffi::ErrorCode::kInternal, std::string("oneDNN: ") + e.what()));
    return future;
  }
  Helpers().Post(job);
  return future;
}

using F32 = ffi::Buffer<ffi::F32, 4>;
using F32Out = ffi::ResultBuffer<ffi::F32, 4>;
using Ints = ffi::Span<const int64_t>;

ffi::Future Forward(F32 x, F32 w, F32Out y, Ints geometry) {
  Key k = MakeKey(kForward, x.dimensions(), w.dimensions(), y->dimensions(), geometry);
  return Run(kForward, x.untyped_data(), w.untyped_data(), y->untyped_data(), k);
}

ffi::Future BackpropInput(F32 w, F32 dy, F32Out dx, Ints geometry) {
  Key k = MakeKey(kBackpropInput, dx->dimensions(), w.dimensions(), dy.dimensions(), geometry);
  return Run(kBackpropInput, dx->untyped_data(), w.untyped_data(), dy.untyped_data(), k);
}

ffi::Future BackpropFilter(F32 x, F32 dy, F32Out dw, Ints geometry) {
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
