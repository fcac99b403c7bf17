// llmio::testing::mock_server quotas per project and model (rpm, rpd, tpm), the keys of
// projects, and the prompt token count the quotas charge. Over loopback, decoded by llmio's
// own decoders; the windows' arithmetic is also checked with given times, without waiting.
#include "mock_client.hpp"

#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/testing/detail/mock_quota.hpp>

using namespace mock_test;

namespace {

using llmio::testing::mock_project;

constexpr std::string_view flash = "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse";
constexpr std::string_view pro = "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse";

mock_options project_options()
{
    mock_options o;
    o.projects = {mock_project{"alpha", {"alpha-key-1", "alpha-key-2"}}, mock_project{"beta", {"beta-key"}}};
    o.events = 2;
    o.words_per_event = 2;
    return o;
}

struct shot {
    std::string_view target = flash;
    std::string_view key{};
};

// The requests in order, alternating over two connections (the quota belongs to the server);
// each decoded with gemini::http_stream.
std::vector<stream_result> send_all(mock_server& server, asio::io_context& io, const std::vector<shot>& shots)
{
    const auto at = server.start();
    std::vector<stream_result> rs;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto a = co_await connect(at);
        auto b = co_await connect(at);
        gemini::http_stream hs;
        std::string carry_a;
        std::string carry_b;
        for (std::size_t i = 0; i < shots.size(); ++i) {
            std::string req = request("POST", shots[i].target, prompt_body, {}, shots[i].key);
            if (i % 2 == 0) {
                rs.push_back(co_await stream_exchange(a, std::move(req), hs, carry_a));
            } else {
                rs.push_back(co_await stream_exchange(b, std::move(req), hs, carry_b));
            }
        }
    });
    return rs;
}

bool whole_seconds(std::chrono::nanoseconds d) { return d % std::chrono::seconds(1) == std::chrono::nanoseconds(0); }

} // namespace

TEST_CASE("projects: keys of a project share its per-minute window; another project has its own",
          "[testing][mock][quota][project]")
{
    asio::io_context io;
    mock_options o = project_options();
    o.rpm = 2;
    mock_server server(io.get_executor(), o);
    const std::vector<stream_result> rs = send_all(server, io,
                                                   {{flash, "alpha-key-1"},
                                                    {flash, "alpha-key-2"},
                                                    {flash, "alpha-key-1"},   // alpha's third: 429
                                                    {flash, "beta-key"},
                                                    {flash, "beta-key"},
                                                    {pro, "alpha-key-2"},     // another model: its own window
                                                    {flash, "beta-key"},      // beta's third: 429
                                                    {flash, "nobody's-key"}});
    REQUIRE(rs.size() == 8);
    CHECK(rs[0].done);
    CHECK(rs[1].done);
    CHECK(rs[2].status == 429);
    CHECK(rs[2].ec == gemini::error::quota_requests_per_minute);
    CHECK(rs[2].quota_value == 2);
    REQUIRE(rs[2].retry_delay.has_value());
    CHECK(*rs[2].retry_delay >= std::chrono::seconds(1));
    CHECK(*rs[2].retry_delay <= std::chrono::seconds(60));
    CHECK(whole_seconds(*rs[2].retry_delay));
    CHECK(rs[3].done);   // beta still passes while alpha is refused
    CHECK(rs[4].done);
    CHECK(rs[5].done);
    CHECK(rs[6].ec == gemini::error::quota_requests_per_minute);
    CHECK(rs[6].quota_value == 2);
    CHECK(rs[7].ec == gemini::error::api_key_invalid);
    CHECK(rs[7].status == 400);

    const llmio::testing::mock_counters& c = server.counters();
    REQUIRE(c.project_requests.size() == 2);
    REQUIRE(c.project_rate_limited.size() == 2);
    CHECK(c.project_requests[0] == 3);
    CHECK(c.project_requests[1] == 2);
    CHECK(c.project_rate_limited[0] == 1);
    CHECK(c.project_rate_limited[1] == 1);
    CHECK(c.rate_limited == 2);
    CHECK(c.auth_failures == 1);
}

TEST_CASE("projects: the 429 names the model in quotaDimensions and the limit as quotaValue",
          "[testing][mock][quota][project]")
{
    asio::io_context io;
    mock_options o = project_options();
    o.rpm = 1;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    unary_result refused;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        http::response_parser p;
        std::string carry;
        (void)co_await unary_exchange(s, request("POST", pro, prompt_body, {}, "beta-key"), p, carry);
        refused = co_await unary_exchange(s, request("POST", pro, prompt_body, {}, "beta-key"), p, carry);
    });
    CHECK(refused.status == 429);
    gemini::chunk_decoder d;
    CHECK(d.decode_error_body(refused.status, refused.body) == gemini::error::quota_requests_per_minute);
    REQUIRE(d.api().violations.size() == 1);
    const gemini::quota_violation& v = d.api().violations.front();
    CHECK(v.model == "gemini-2.5-pro");
    CHECK(v.location == "global");
    CHECK(v.quota_value == 1);
    CHECK(v.kind == gemini::quota_kind::requests_per_minute);
    REQUIRE(d.api().retry_delay.has_value());
    CHECK(whole_seconds(*d.api().retry_delay));
}

TEST_CASE("projects: rpd per project and model", "[testing][mock][quota][project]")
{
    asio::io_context io;
    mock_options o = project_options();
    o.rpd = 1;
    mock_server server(io.get_executor(), o);
    const std::vector<stream_result> rs = send_all(
        server, io, {{flash, "alpha-key-1"}, {flash, "alpha-key-2"}, {flash, "beta-key"}, {pro, "alpha-key-1"}});
    REQUIRE(rs.size() == 4);
    CHECK(rs[0].done);
    CHECK(rs[1].ec == gemini::error::quota_requests_per_day);
    CHECK(rs[1].quota_value == 1);
    CHECK(rs[2].done);
    CHECK(rs[3].done);
}

TEST_CASE("tpm: input tokens per minute, per project and model, charged with prompt_tokens",
          "[testing][mock][quota][project]")
{
    const std::int64_t tokens = mock_server::prompt_tokens(prompt_body);
    asio::io_context io;
    mock_options o = project_options();
    o.tpm = static_cast<std::uint64_t>(2 * tokens + tokens / 2);   // room for two requests, not three
    mock_server server(io.get_executor(), o);
    const std::vector<stream_result> rs = send_all(server, io,
                                                   {{flash, "alpha-key-1"},
                                                    {flash, "alpha-key-2"},
                                                    {flash, "alpha-key-1"},
                                                    {flash, "beta-key"},
                                                    {pro, "alpha-key-1"}});
    REQUIRE(rs.size() == 5);
    CHECK(rs[0].done);
    CHECK(rs[1].done);
    CHECK(rs[2].status == 429);
    CHECK(rs[2].ec == gemini::error::quota_input_tokens_per_minute);
    CHECK(rs[2].quota_value == static_cast<std::int64_t>(o.tpm));
    REQUIRE(rs[2].retry_delay.has_value());
    CHECK(*rs[2].retry_delay >= std::chrono::seconds(1));
    CHECK(*rs[2].retry_delay <= std::chrono::seconds(60));
    CHECK(whole_seconds(*rs[2].retry_delay));
    CHECK(rs[3].done);
    CHECK(rs[4].done);
    REQUIRE(rs[0].usage.has_value());
    CHECK(rs[0].usage->prompt == tokens);   // what the quota charged is what the answer reports
}

TEST_CASE("tpm without projects: one window; a request larger than tpm never fits", "[testing][mock][quota]")
{
    const std::int64_t tokens = mock_server::prompt_tokens(prompt_body);
    {
        asio::io_context io;
        mock_options o;
        o.api_key = std::string(test_key);
        o.tpm = static_cast<std::uint64_t>(tokens);
        mock_server server(io.get_executor(), o);
        const std::vector<stream_result> rs = send_all(server, io, {{flash, test_key}, {pro, test_key}});
        REQUIRE(rs.size() == 2);
        CHECK(rs[0].done);
        CHECK(rs[1].ec == gemini::error::quota_input_tokens_per_minute);   // every model shares it
        CHECK(server.counters().project_requests.empty());
    }
    {
        asio::io_context io;
        mock_options o;
        o.api_key = std::string(test_key);
        o.tpm = static_cast<std::uint64_t>(tokens - 1);
        mock_server server(io.get_executor(), o);
        const std::vector<stream_result> rs = send_all(server, io, {{flash, test_key}});
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].ec == gemini::error::quota_input_tokens_per_minute);
        REQUIRE(rs[0].retry_delay.has_value());
        CHECK(*rs[0].retry_delay == std::chrono::seconds(60));
    }
}

TEST_CASE("projects: a key outside every project is refused, api_key is not consulted", "[testing][mock][project]")
{
    asio::io_context io;
    mock_options o = project_options();
    o.api_key = std::string(test_key);
    mock_server server(io.get_executor(), o);
    const std::vector<stream_result> rs = send_all(server, io, {{flash, test_key}, {flash, "beta-key"}, {flash, ""}});
    REQUIRE(rs.size() == 3);
    CHECK(rs[0].ec == gemini::error::api_key_invalid);
    CHECK(rs[1].done);
    CHECK(rs[2].ec == gemini::error::api_key_invalid);
}

TEST_CASE("prompt_tokens: a quarter of the body's bytes, at least 1, as usage and countTokens report it",
          "[testing][mock][quota]")
{
    CHECK(mock_server::prompt_tokens("") == 1);
    CHECK(mock_server::prompt_tokens("abc") == 1);
    CHECK(mock_server::prompt_tokens("abcdefgh") == 2);
    CHECK(mock_server::prompt_tokens(prompt_body) == static_cast<std::int64_t>(prompt_body.size() / 4));
}

TEST_CASE("quota windows: retry delays from given times, rounded up to whole seconds", "[testing][mock][quota]")
{
    using llmio::testing::detail::quota_kind;
    using llmio::testing::detail::quota_limits;
    using llmio::testing::detail::quota_windows;
    using namespace std::chrono;
    const steady_clock::time_point t0{};
    quota_windows q;

    SECTION("rpm: the slot frees when the oldest request leaves the 60 s window")
    {
        const quota_limits l{.rpm = 2};
        CHECK_FALSE(q.admit(0, "m", 10, t0, l));
        CHECK_FALSE(q.admit(0, "m", 10, t0 + 10s, l));
        const auto r = q.admit(0, "m", 10, t0 + 20500ms, l);
        REQUIRE(r);
        CHECK(r->kind == quota_kind::per_minute);
        CHECK(r->limit == 2);
        CHECK(r->retry_delay == 40s);   // 39.5 s rounded up
        CHECK_FALSE(q.admit(1, "m", 10, t0 + 20500ms, l));   // another project
        CHECK_FALSE(q.admit(0, "n", 10, t0 + 20500ms, l));   // another model
        const auto last = q.admit(0, "m", 10, t0 + 59999ms, l);
        REQUIRE(last);
        CHECK(last->retry_delay == 1s);   // 1 ms rounds up to the minimum
        CHECK_FALSE(q.admit(0, "m", 10, t0 + 60s, l));   // the first left the window
    }
    SECTION("tpm: the request fits once enough of the oldest tokens have left")
    {
        const quota_limits l{.tpm = 25};
        CHECK_FALSE(q.admit(0, "m", 10, t0, l));
        CHECK_FALSE(q.admit(0, "m", 10, t0 + 10s, l));
        const auto r = q.admit(0, "m", 10, t0 + 30s, l);
        REQUIRE(r);
        CHECK(r->kind == quota_kind::input_tokens);
        CHECK(r->limit == 25);
        CHECK(r->retry_delay == 30s);   // when the first leaves, 10 + 10 fit
        const auto bigger = q.admit(0, "m", 20, t0 + 30s, l);
        REQUIRE(bigger);
        CHECK(bigger->retry_delay == 40s);   // both must leave
        const auto never = q.admit(0, "m", 26, t0 + 30s, l);
        REQUIRE(never);
        CHECK(never->retry_delay == 60s);
        CHECK_FALSE(q.admit(0, "m", 5, t0 + 30s, l));   // a small one still fits
    }
    SECTION("quota_window: a shorter window rolls over sooner; delays stay whole seconds, at least 1 s")
    {
        const quota_limits l{.rpm = 1, .tpm = 10, .window = 250ms};
        CHECK_FALSE(q.admit(0, "m", 5, t0, l));
        const auto r = q.admit(0, "m", 5, t0 + 100ms, l);
        REQUIRE(r);
        CHECK(r->kind == quota_kind::per_minute);
        CHECK(r->retry_delay == 1s);
        CHECK_FALSE(q.admit(0, "m", 5, t0 + 250ms, l));
        const auto tokens = q.admit(1, "m", 11, t0, l);
        REQUIRE(tokens);
        CHECK(tokens->kind == quota_kind::input_tokens);
        CHECK(tokens->retry_delay == 1s);
    }
    SECTION("rpd: counted since the start, refusals do not count")
    {
        const quota_limits l{.rpm = 1, .rpd = 2};
        CHECK_FALSE(q.admit(0, "m", 1, t0, l));
        REQUIRE(q.admit(0, "m", 1, t0 + 1s, l));   // rpm refuses: not counted for the day
        CHECK_FALSE(q.admit(0, "m", 1, t0 + 61s, l));
        const auto day = q.admit(0, "m", 1, t0 + 200s, l);
        REQUIRE(day);
        CHECK(day->kind == quota_kind::per_day);
        CHECK(day->limit == 2);
    }
}

TEST_CASE("quota_window: the server's window rolls over after it", "[testing][mock][quota]")
{
    asio::io_context io;
    mock_options o;
    o.api_key = std::string(test_key);
    o.rpm = 1;
    o.quota_window = 50ms;
    mock_server server(io.get_executor(), o);
    const auto at = server.start();
    std::vector<stream_result> rs;
    run(io, server, [&]() -> asio::awaitable<void> {
        auto s = co_await connect(at);
        gemini::http_stream hs;
        std::string carry;
        rs.push_back(co_await stream_exchange(s, stream_request(), hs, carry));
        rs.push_back(co_await stream_exchange(s, stream_request(), hs, carry));
        asio::steady_timer t(co_await asio::this_coro::executor, 60ms);
        co_await t.async_wait(asio::use_awaitable);
        rs.push_back(co_await stream_exchange(s, stream_request(), hs, carry));
    });
    REQUIRE(rs.size() == 3);
    CHECK(rs[0].done);
    CHECK(rs[1].ec == gemini::error::quota_requests_per_minute);
    REQUIRE(rs[1].retry_delay.has_value());
    CHECK(*rs[1].retry_delay == std::chrono::seconds(1));
    CHECK(rs[2].done);
}
