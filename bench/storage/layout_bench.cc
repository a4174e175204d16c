// The per-shard-segments vs shared-log decision benchmark (docs/design/storage.md).
//
// A deliberately small prototype of the two write paths, straight on POSIX, so the layouts are
// compared before an engine is built on one of them:
//   * per-shard: one append-only file per shard; a commit thread takes a group of pending
//     requests, write()s each shard's part to that shard's file and fdatasync()s every file
//     it dirtied; idle shards' files are opened on demand under an LRU cap on descriptors.
//   * shared: one append-only file for every shard; the commit thread write()s the whole
//     group once and fdatasync()s once.
// Both run two loads: 4 hot shards fed by writer threads with 1 KiB records, alone and
// together with 10,000 idle shards receiving 1 record/s each (10,000 small appends/s). It
// reports hot throughput, syncs/s, descriptors, RSS, and the time to re-read everything
// (a recovery scan). Not a unit test; run by hand: storage_layout_bench [dir] [seconds].

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <list>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kHotShards = 4;
constexpr int kIdleShards = 10000;
constexpr int kWritersPerHotShard = 4;
constexpr int kRecordsPerRequest = 64;  // 64 KiB requests of 1 KiB records
constexpr size_t kRecordBytes = 1024;
constexpr size_t kIdleRecordBytes = 100;
constexpr size_t kMaxGroupBytes = 1 << 20;
constexpr size_t kFdCap = 1000;

struct Request {
  int shard;
  size_t bytes;
  bool done = false;
};

long RssKiB() {
  FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  long kib = 0;
  while (f && std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::atol(line + 6);
  }
  if (f) std::fclose(f);
  return kib;
}

int OpenFds() {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

class Layout {
 public:
  Layout(std::string dir, bool shared) : dir_(std::move(dir)), shared_(shared) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    if (shared_) {
      shared_fd_ = ::open((dir_ + "/shared.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    } else {
      for (int s = 0; s < kHotShards + kIdleShards; ++s) {  // shards exist before the run
        int fd = ::open(Path(s).c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::close(fd);
      }
    }
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    ::fsync(dfd);
    ::close(dfd);
    buf_.assign(8 << 20, 'x');
    thread_ = std::thread([this] { CommitLoop(); });
  }
  ~Layout() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (shared_fd_ >= 0) ::close(shared_fd_);
    for (auto& [s, fd] : fds_) ::close(fd.first);
  }

  // Blocks until the request is durable.
  void Submit(Request* r, bool wait) {
    std::unique_lock<std::mutex> l(mu_);
    queue_.push_back(r);
    cv_.notify_all();
    if (wait) done_cv_.wait(l, [&] { return r->done; });
  }

  uint64_t syncs() const { return syncs_.load(); }
  uint64_t opens() const { return opens_.load(); }
  size_t max_fds() const { return max_fds_.load(); }
  uint64_t hot_bytes() const { return hot_bytes_.load(); }

  // Re-reads everything the way a recovery scan would, returning seconds.
  double RecoveryScan(uint64_t* bytes) {
    auto t0 = Clock::now();
    std::vector<char> b(4 << 20);
    *bytes = 0;
    for (auto& e : std::filesystem::directory_iterator(dir_)) {
      int fd = ::open(e.path().c_str(), O_RDONLY);
      ssize_t n;
      while ((n = ::read(fd, b.data(), b.size())) > 0) *bytes += n;
      ::close(fd);
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

 private:
  std::string Path(int s) const { return dir_ + "/shard-" + std::to_string(s) + ".log"; }

  int ShardFd(int s) {
    auto it = fds_.find(s);
    if (it != fds_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      return it->second.first;
    }
    if (fds_.size() >= kFdCap) {
      int victim = lru_.back();
      lru_.pop_back();
      ::close(fds_[victim].first);
      fds_.erase(victim);
    }
    int fd = ::open(Path(s).c_str(), O_WRONLY | O_APPEND);
    ++opens_;
    lru_.push_front(s);
    fds_[s] = {fd, lru_.begin()};
    return fd;
  }

  void CommitLoop() {
    std::vector<Request*> group;
    for (;;) {
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
        if (stop_ && queue_.empty()) return;
        size_t bytes = 0;
        while (!queue_.empty() && (group.empty() || bytes + queue_.front()->bytes <= kMaxGroupBytes)) {
          bytes += queue_.front()->bytes;
          group.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      if (shared_) {
        size_t bytes = 0;
        for (Request* r : group) bytes += r->bytes + 40;  // a batch header each
        (void)!::write(shared_fd_, buf_.data(), bytes);
        ::fdatasync(shared_fd_);
        ++syncs_;
      } else {
        std::vector<int> dirty;
        std::unordered_map<int, size_t> per_shard;
        for (Request* r : group) per_shard[r->shard] += r->bytes + 40;
        for (auto& [s, bytes] : per_shard) {
          int fd = ShardFd(s);
          (void)!::write(fd, buf_.data(), bytes);
          dirty.push_back(fd);
        }
        for (int fd : dirty) {
          ::fdatasync(fd);
          ++syncs_;
        }
      }
      size_t fds = shared_ ? 1 : fds_.size();
      if (fds > max_fds_) max_fds_ = fds;
      {
        std::lock_guard<std::mutex> l(mu_);
        for (Request* r : group) {
          if (r->shard < kHotShards) hot_bytes_ += r->bytes;
          r->done = true;
          if (r->shard >= kHotShards) delete r;  // fire-and-forget idle appends
        }
      }
      done_cv_.notify_all();
      group.clear();
    }
  }

  const std::string dir_;
  const bool shared_;
  int shared_fd_ = -1;
  std::string buf_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<Request*> queue_;
  bool stop_ = false;
  std::thread thread_;
  std::list<int> lru_;
  std::unordered_map<int, std::pair<int, std::list<int>::iterator>> fds_;
  std::atomic<uint64_t> syncs_{0}, opens_{0}, hot_bytes_{0};
  std::atomic<size_t> max_fds_{0};
};

void Run(const std::string& dir, bool shared, bool idle, double seconds) {
  Layout layout(dir, shared);
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int s = 0; s < kHotShards; ++s) {
    for (int w = 0; w < kWritersPerHotShard; ++w) {
      writers.emplace_back([&, s] {
        while (!stop) {
          Request r{s, kRecordsPerRequest * kRecordBytes};
          layout.Submit(&r, /*wait=*/true);
        }
      });
    }
  }
  std::thread idler;
  uint64_t idle_sent = 0;
  if (idle) {
    idler = std::thread([&] {
      std::mt19937 rng(1);
      auto start = Clock::now();
      while (!stop) {  // 10,000 appends/s spread over the idle shards, paced in 1 ms steps
        double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        uint64_t due = static_cast<uint64_t>(elapsed * kIdleShards);
        for (; idle_sent < due; ++idle_sent) {
          layout.Submit(new Request{kHotShards + static_cast<int>(rng() % kIdleShards),
                                    kIdleRecordBytes},
                        /*wait=*/false);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  auto t0 = Clock::now();
  uint64_t syncs0 = layout.syncs();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  uint64_t hot = layout.hot_bytes();
  uint64_t syncs = layout.syncs() - syncs0;
  long rss = RssKiB();
  int fds = OpenFds();
  stop = true;
  for (auto& t : writers) t.join();
  if (idler.joinable()) idler.join();
  uint64_t scanned = 0;
  double rec = layout.RecoveryScan(&scanned);
  std::printf("%-10s %-14s hot %7.1f MB/s  idle %6.0f rec/s  syncs %7.0f/s  fds(max open) %5zu  "
              "opens %6lu  proc fds %5d  RSS %6.1f MiB  scan %.0f MB in %.2f s (%5.0f MB/s)\n",
              shared ? "shared" : "per-shard", idle ? "hot+10k idle" : "4 hot only", hot / secs / 1e6,
              idle_sent / secs, syncs / secs, layout.max_fds(), (unsigned long)layout.opens(), fds,
              rss / 1024.0, scanned / 1e6, rec, scanned / 1e6 / rec);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp/storage-layout-bench";
  double seconds = argc > 2 ? std::atof(argv[2]) : 5.0;
  for (bool idle : {false, true}) {
    for (bool shared : {false, true}) Run(dir + (shared ? "/shared" : "/per-shard"), shared, idle, seconds);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
