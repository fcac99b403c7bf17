// Peer `curl-multi`: libcurl's multi interface as a C++ server-side client uses it at scale:
// curl_multi_socket_action driven by epoll (the event-driven API; curl_multi_poll walks every
// socket on each call), one easy handle per stream, re-added for each request so its
// connection is reused from the multi handle's cache (keep-alive). The write callback splits
// SSE events, which may arrive cut anywhere, and decodes each with simdjson On-Demand.
//
//     llmio-peer-curl-multi --base-url http://127.0.0.1:PORT --concurrency 64 --per-stream 10 --events 20
//
// Prints one JSON line (bench/peers/README.md). Needs libcurl4-openssl-dev to build.
#include "../common/peer_job.hpp"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

struct stream {
    CURL* easy = nullptr;
    std::size_t done = 0;   // requests finished on this stream
    peers::recorder::request req{};
    peers::sse_splitter sse{};
    bool decode_failed = false;
};

struct job {
    peers::args args{};
    peers::recorder rec;
    simdjson::ondemand::parser parser{};
    std::string text{};
    CURLM* multi = nullptr;
    int epfd = -1;
    long timeout_ms = -1;   // from CURLMOPT_TIMERFUNCTION; -1: none
    peers::clock::time_point timer_set{};

    explicit job(const peers::args& a) : args(a), rec(args) {}
};

job* the_job = nullptr;   // the callbacks' context (one job per process)

std::size_t on_write(char* ptr, std::size_t, std::size_t n, void* user)
{
    auto& s = *static_cast<stream*>(user);
    s.sse.feed({ptr, n}, [&](std::string_view data, std::size_t capacity) {
        if (!peers::decode_text(the_job->parser, data, capacity, the_job->text)) {
            s.decode_failed = true;
            return;
        }
        the_job->rec.event(s.req, the_job->text);
    });
    return n;
}

// CURLMOPT_SOCKETFUNCTION: keep epoll's interest set equal to what curl asks for.
int on_socket(CURL*, curl_socket_t fd, int what, void* user, void* socket_data)
{
    auto& j = *static_cast<job*>(user);
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(j.epfd, EPOLL_CTL_DEL, fd, nullptr);
        curl_multi_assign(j.multi, fd, nullptr);
        return 0;
    }
    epoll_event ev{};
    ev.data.fd = fd;
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (socket_data == nullptr) {
        epoll_ctl(j.epfd, EPOLL_CTL_ADD, fd, &ev);
        curl_multi_assign(j.multi, fd, &j);   // any non-null mark: "already added"
    } else {
        epoll_ctl(j.epfd, EPOLL_CTL_MOD, fd, &ev);
    }
    return 0;
}

// CURLMOPT_TIMERFUNCTION.
int on_timer(CURLM*, long timeout_ms, void* user)
{
    auto& j = *static_cast<job*>(user);
    j.timeout_ms = timeout_ms;
    j.timer_set = peers::clock::now();
    return 0;
}

void start_request(job& j, stream& s)
{
    s.sse.reset();
    s.decode_failed = false;
    j.rec.begin(s.req);
    curl_multi_add_handle(j.multi, s.easy);
}

// Completed transfers: record them, and send each stream's next request on the same handle.
void reap(job& j, std::size_t& active)
{
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(j.multi, &left)) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }
        stream* s = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &s);
        long status = 0;
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        const CURLcode result = m->data.result;
        curl_multi_remove_handle(j.multi, m->easy_handle);
        const bool ok = result == CURLE_OK && status == 200 && !s->decode_failed;
        j.rec.end(s->req, ok, result != CURLE_OK ? curl_easy_strerror(result) : status != 200 ? "HTTP status not 200" : s->decode_failed ? "bad event" : nullptr);
        if (++s->done < j.args.per_stream) {
            start_request(j, *s);
        } else {
            --active;
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    const peers::args args = peers::parse_args(argc, argv, "llmio-peer-curl-multi");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    job j(args);
    the_job = &j;
    j.multi = curl_multi_init();
    j.epfd = epoll_create1(EPOLL_CLOEXEC);
    curl_multi_setopt(j.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(j.multi, CURLMOPT_SOCKETDATA, &j);
    curl_multi_setopt(j.multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(j.multi, CURLMOPT_TIMERDATA, &j);
    // Keep every stream's connection in the cache between its requests.
    curl_multi_setopt(j.multi, CURLMOPT_MAXCONNECTS, static_cast<long>(args.concurrency));

    const std::string url = args.base_url + "/v1beta/models/" + std::string(peers::model) + ":streamGenerateContent?alt=sse";
    const std::string key_header = "x-goog-api-key: " + std::string(peers::api_key);
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, key_header.c_str());
    headers = curl_slist_append(headers, "Expect:");

    std::vector<stream> streams(args.concurrency);
    for (auto& s : streams) {
        s.easy = curl_easy_init();
        curl_easy_setopt(s.easy, CURLOPT_URL, url.c_str());
        curl_easy_setopt(s.easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS, peers::body.data());
        curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(peers::body.size()));
        curl_easy_setopt(s.easy, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(s.easy, CURLOPT_PRIVATE, &s);
        curl_easy_setopt(s.easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s.easy, CURLOPT_TCP_NODELAY, 1L);
    }

    j.rec.start_job();
    std::size_t active = streams.size();
    for (auto& s : streams) {
        start_request(j, s);
    }
    std::vector<epoll_event> ready(std::max<std::size_t>(64, args.concurrency));
    int running = 0;
    while (active > 0) {
        int wait_ms = -1;
        if (j.timeout_ms >= 0) {
            const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(peers::clock::now() - j.timer_set).count();
            wait_ms = static_cast<int>(std::max<long>(0, j.timeout_ms - elapsed));
        }
        const int n = epoll_wait(j.epfd, ready.data(), static_cast<int>(ready.size()), wait_ms);
        for (int i = 0; i < n; ++i) {
            const auto ev = ready[static_cast<std::size_t>(i)].events;
            const int flags = (ev & EPOLLIN ? CURL_CSELECT_IN : 0) | (ev & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                              (ev & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(j.multi, ready[static_cast<std::size_t>(i)].data.fd, flags, &running);
        }
        if (j.timeout_ms >= 0 && peers::clock::now() - j.timer_set >= std::chrono::milliseconds(j.timeout_ms)) {
            j.timeout_ms = -1;
            curl_multi_socket_action(j.multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        reap(j, active);
    }
    j.rec.end_job();
    j.rec.print("curl-multi");

    for (auto& s : streams) {
        curl_easy_cleanup(s.easy);
    }
    curl_slist_free_all(headers);
    curl_multi_cleanup(j.multi);
    close(j.epfd);
    curl_global_cleanup();
    return 0;
}
