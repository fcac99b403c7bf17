// Child processes for the transport benchmark: the mock server (a separate process, so that its
// CPU time and heap never count as the client's) and wrk (run to its end, output and CPU kept).
#ifndef LLMIO_BENCH_TRANSPORT_CHILD_PROCESS_HPP
#define LLMIO_BENCH_TRANSPORT_CHILD_PROCESS_HPP

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

namespace bench::transport {

[[nodiscard]] inline double cpu_seconds(const rusage& r) noexcept
{
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/// The calling process's user + system CPU time so far.
[[nodiscard]] inline double self_cpu_seconds() noexcept
{
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return cpu_seconds(r);
}

/// `name` found on PATH, or "" (wrk is optional).
[[nodiscard]] inline std::string find_in_path(std::string_view name)
{
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + std::string(name);
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return {};
}

/// A child with its standard output on a pipe. Terminated (SIGTERM) and reaped on destruction.
class child_process {
public:
    /// Starts argv[0] (a path) with `argv`. nullopt when it cannot be started.
    [[nodiscard]] static std::optional<child_process> spawn(const std::vector<std::string>& argv)
    {
        int fds[2];
        if (::pipe(fds) != 0) {
            return std::nullopt;
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        posix_spawn_file_actions_addclose(&actions, fds[1]);
        std::vector<char*> args;
        for (const std::string& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            return std::nullopt;
        }
        return child_process(pid, ::fdopen(fds[0], "r"));
    }

    child_process(child_process&& o) noexcept
        : pid_(std::exchange(o.pid_, -1)), out_(std::exchange(o.out_, nullptr)), usage_(o.usage_)
    {
    }
    child_process& operator=(child_process&&) = delete;
    ~child_process()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            (void)wait();
        }
        if (out_ != nullptr) {
            std::fclose(out_);
        }
    }

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }

    /// One line of its output without the newline; nullopt at the end of it.
    [[nodiscard]] std::optional<std::string> read_line()
    {
        std::string line;
        for (int c = std::fgetc(out_); c != EOF; c = std::fgetc(out_)) {
            if (c == '\n') {
                return line;
            }
            line.push_back(static_cast<char>(c));
        }
        return line.empty() ? std::nullopt : std::optional<std::string>(line);
    }

    /// Everything it writes until it exits.
    [[nodiscard]] std::string read_all()
    {
        std::string all;
        char block[4096];
        for (std::size_t n; (n = std::fread(block, 1, sizeof block, out_)) > 0;) {
            all.append(block, n);
        }
        return all;
    }

    /// Waits for the exit; returns whether it exited with status 0. usage() then holds its CPU.
    bool wait() noexcept
    {
        int status = 0;
        pid_t r;
        do {
            r = ::wait4(pid_, &status, 0, &usage_);
        } while (r < 0 && errno == EINTR);
        pid_ = -1;
        return r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }

    [[nodiscard]] const rusage& usage() const noexcept { return usage_; }

    /// CPU seconds used so far by a running child (from /proc: getrusage cannot see it before
    /// it exits). Clock-tick resolution (10 ms): fine over a multi-second run.
    [[nodiscard]] double running_cpu_seconds() const
    {
        std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        // The command name (field 2) may hold spaces: count fields after its closing ')'.
        std::istringstream rest(text.substr(text.rfind(')') + 2));
        std::string field;
        unsigned long long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {
            if (i == 14) {
                utime = std::stoull(field);
            }
            if (i == 15) {
                stime = std::stoull(field);
            }
        }
        return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }

private:
    child_process(pid_t pid, std::FILE* out) : pid_(pid), out_(out) {}

    pid_t pid_ = -1;
    std::FILE* out_ = nullptr;
    rusage usage_{};
};

} // namespace bench::transport

#endif // LLMIO_BENCH_TRANSPORT_CHILD_PROCESS_HPP
