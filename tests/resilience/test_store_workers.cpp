// Issue 12, item 2: the store threads. Real stores (SQLite, and PostgreSQL
// from the `postgres` fixture); a read that takes too long is made so by a
// real lock held by another session, or by a job that waits on a latch.
#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "resolver/service/store_workers.hpp"
#include "tests/sed-store/fixture.hpp"

using namespace speerd;
using speerd::pipeline::StoreAnswer;
using speerd::pipeline::StoreFailure;
using speerd::service::StoreWorkers;
using speerd::service::StoreWorkerSettings;
namespace st = speerd::store;

namespace {

// An event loop on its own thread, standing in for a shard.
struct Loop {
  boost::asio::io_context io{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~Loop() {
    work.reset();
    io.stop();
    thread.join();
  }
};

StoreWorkers::Opener opener(const std::string& uri, std::atomic<int>* opened = nullptr,
                            int statement_timeout_ms = 0) {
  return [uri, opened, statement_timeout_ms]() -> Expected<std::unique_ptr<st::Store>> {
    if (opened != nullptr) ++*opened;
    st::OpenOptions o;
    o.statement_timeout_ms = statement_timeout_ms;
    auto s = st::open_store(uri, o);
    if (!s) return fail(s.error().message);
    return std::move(*s);
  };
}

void provision(st::Store& s) {
  // By field name: AddClient grows (sources, issue 14).
  st::AddClient sbc;
  sbc.name = "sbc";
  sbc.cert_name = "sbc.example";
  sbc.trees = {"e164.arpa"};
  st::test::must_apply(
      s, {sbc, st::AddDestinationGroup{"dg", ""},
          st::AddIdentifier{"dg", st::IdentifierKind::number, "12155551234", ""},
          st::AddRouteGroup{"rg", 10, true, "", {"dg"}},
          st::AddSed{"rg", "sip:peer.example", "", "", "", 10}, st::AddOffer{"rg", "sbc"}});
}

template <typename T>
struct Answers {
  std::mutex m;
  std::vector<StoreAnswer<T>> got;
  std::vector<std::thread::id> on;
  std::promise<void> first;
  void add(StoreAnswer<T> a) {
    std::lock_guard<std::mutex> l(m);
    got.push_back(std::move(a));
    on.push_back(std::this_thread::get_id());
    if (got.size() == 1) first.set_value();
  }
  std::size_t count() {
    std::lock_guard<std::mutex> l(m);
    return got.size();
  }
};

template <typename T>
void settle(Loop& loop) {
  // Everything posted to the loop before this point has run once this has.
  std::promise<void> p;
  boost::asio::post(loop.io, [&] { p.set_value(); });
  p.get_future().wait();
}

}  // namespace

TEMPLATE_TEST_CASE("store threads answer a read on the caller's loop", "[store-resilience]",
                   st::test::Sqlite, st::test::Postgres) {
  st::test::TestStore ts(TestType::value);
  auto admin = ts.open();
  provision(*admin);
  Loop loop;
  StoreWorkers workers(opener(ts.uri()), StoreWorkerSettings{});
  service::PooledStoreAccess access(workers, loop.io.get_executor());
  Answers<std::optional<st::Destination>> a;
  auto done = a.first.get_future();
  access.find_destination(
      "12155551234", st::ClientRef{1},
      [&](StoreAnswer<std::optional<st::Destination>> r) { a.add(std::move(r)); });
  done.wait();
  REQUIRE(a.count() == 1);
  REQUIRE(a.got[0]);
  REQUIRE(a.got[0]->has_value());
  CHECK((*a.got[0])->routes.size() == 1);
  CHECK(a.on[0] == loop.thread.get_id());
  workers.stop();
}

TEST_CASE("a read that outlives its deadline is answered once, with a timeout error",
          "[store-resilience]") {
  st::test::TestStore ts(st::test::Backend::sqlite);
  (void)ts.open();
  Loop loop;
  StoreWorkerSettings set;
  set.threads = 1;
  set.timeout = std::chrono::milliseconds(50);
  StoreWorkers workers(opener(ts.uri()), set);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> job_ran;
  Answers<int> a;
  auto first = a.first.get_future();
  workers.run<int>(
      loop.io.get_executor(),
      [&](st::Store&) -> Expected<int> {
        released.wait();  // the store "hangs" until the deadline has passed
        job_ran.set_value();
        return 7;
      },
      [&](StoreAnswer<int> r) { a.add(std::move(r)); });
  first.wait();  // the deadline answered while the job still runs
  REQUIRE(a.count() == 1);
  REQUIRE_FALSE(a.got[0]);
  CHECK(a.got[0].error().kind == StoreFailure::timeout);
  CHECK(a.got[0].error().message.find("[store] timeout_ms") != std::string::npos);
  release.set_value();
  job_ran.get_future().wait();
  workers.stop();  // the job's late answer is posted before the thread ends
  settle<int>(loop);
  CHECK(a.count() == 1);  // and ignored
}

TEST_CASE("an unreachable store is retried no sooner than the backoff, and answers at once",
          "[store-resilience]") {
  Loop loop;
  std::atomic<int> opened{0};
  StoreWorkerSettings set;
  set.threads = 1;
  set.backoff_min = std::chrono::seconds(30);
  set.backoff_max = std::chrono::seconds(60);
  // Nothing listens there: the connection is refused.
  StoreWorkers workers(opener("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2", &opened),
                       set);
  Answers<int> a;
  std::promise<void> all;
  std::atomic<int> n{0};
  for (int i = 0; i < 5; ++i) {
    workers.run<int>(
        loop.io.get_executor(), [](st::Store&) -> Expected<int> { return 1; },
        [&](StoreAnswer<int> r) {
          a.add(std::move(r));
          if (++n == 5) all.set_value();
        });
  }
  all.get_future().wait();
  CHECK(opened == 1);
  for (auto& r : a.got) {
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == StoreFailure::unavailable);
  }
  CHECK(a.got[1].error().message.find("reconnecting in") != std::string::npos);
  workers.stop();
}

TEST_CASE("a failed read drops the connection and the next read opens a new one",
          "[store-resilience]") {
  st::test::TestStore ts(st::test::Backend::sqlite);
  (void)ts.open();
  Loop loop;
  std::atomic<int> opened{0};
  StoreWorkerSettings set;
  set.threads = 1;
  StoreWorkers workers(opener(ts.uri(), &opened), set);
  auto ask = [&](bool ok) {
    std::promise<StoreAnswer<int>> p;
    workers.run<int>(
        loop.io.get_executor(),
        [ok](st::Store&) -> Expected<int> {
          if (!ok) return fail("server closed the connection unexpectedly");
          return 1;
        },
        [&](StoreAnswer<int> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  };
  CHECK(ask(true));
  CHECK(opened == 1);
  auto bad = ask(false);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == StoreFailure::error);
  CHECK(ask(true));
  CHECK(opened == 2);
  CHECK(ask(true));
  CHECK(opened == 2);
  workers.stop();
}

TEST_CASE("a full queue refuses a read at once as overload", "[store-resilience]") {
  st::test::TestStore ts(st::test::Backend::sqlite);
  (void)ts.open();
  Loop loop;
  StoreWorkerSettings set;
  set.threads = 1;
  set.max_queue = 1;
  set.timeout = std::chrono::seconds(30);
  StoreWorkers workers(opener(ts.uri()), set);
  std::promise<void> release, busy;
  auto released = release.get_future().share();
  std::vector<std::promise<StoreAnswer<int>>> p(3);
  workers.run<int>(
      loop.io.get_executor(),
      [&](st::Store&) -> Expected<int> {
        busy.set_value();
        released.wait();
        return 1;
      },
      [&](StoreAnswer<int> r) { p[0].set_value(std::move(r)); });
  busy.get_future().wait();  // the one thread is taken; the queue is empty
  workers.run<int>(
      loop.io.get_executor(), [](st::Store&) -> Expected<int> { return 2; },
      [&](StoreAnswer<int> r) { p[1].set_value(std::move(r)); });
  workers.run<int>(
      loop.io.get_executor(), [](st::Store&) -> Expected<int> { return 3; },
      [&](StoreAnswer<int> r) { p[2].set_value(std::move(r)); });
  auto third = p[2].get_future().get();
  REQUIRE_FALSE(third);
  CHECK(third.error().kind == StoreFailure::overload);
  release.set_value();
  CHECK(*p[0].get_future().get() == 1);
  CHECK(*p[1].get_future().get() == 2);
  workers.stop();
}

// PostgreSQL: a table locked by another session. The read's caller hears
// "timeout" at the deadline; the store thread itself comes back when the
// server cancels the statement (statement_timeout), and serves the next read
// once the lock is gone.
TEST_CASE("a read behind a PostgreSQL lock times out and the thread comes back",
          "[store-resilience]") {
  st::test::TestStore ts(st::test::Backend::postgres);
  auto admin = ts.open();
  provision(*admin);
  Loop loop;
  StoreWorkerSettings set;
  set.threads = 1;
  set.timeout = std::chrono::milliseconds(200);
  StoreWorkers workers(opener(ts.uri(), nullptr, 400), set);
  service::PooledStoreAccess access(workers, loop.io.get_executor());
  auto read = [&] {
    std::promise<StoreAnswer<std::optional<st::Destination>>> p;
    access.find_destination(
        "12155551234", st::ClientRef{1},
        [&](StoreAnswer<std::optional<st::Destination>> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  };
  REQUIRE(read());  // connected, statements prepared
  {
    pqxx::connection locker(ts.uri());
    pqxx::work tx(locker);
    tx.exec("LOCK TABLE public_identifier IN ACCESS EXCLUSIVE MODE");
    auto r = read();
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == StoreFailure::timeout);
    // Still locked: the one store thread serves a read of another table once
    // the server has cancelled the blocked statement.
    bool served = false;
    for (int i = 0; i < 20 && !served; ++i) {
      std::promise<StoreAnswer<std::uint64_t>> p;
      workers.run<std::uint64_t>(
          loop.io.get_executor(), [](st::Store& s) { return s.change_counter(); },
          [&](StoreAnswer<std::uint64_t> c) { p.set_value(std::move(c)); });
      served = p.get_future().get().has_value();
    }
    CHECK(served);
    tx.abort();
  }
  // The lock is gone: a read answers (the thread was not stuck for good).
  std::optional<StoreAnswer<std::optional<st::Destination>>> ok;
  for (int i = 0; i < 50 && !(ok && *ok); ++i) ok = read();
  REQUIRE(ok);
  REQUIRE(*ok);
  CHECK((**ok)->routes.size() == 1);
  workers.stop();
}
