#include "slurm_cluster.hpp"

#include "slurm/slurm.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sr::testing {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
namespace {

std::optional<fs::path> find_program(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin:/usr/bin";
    std::istringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (dir.empty()) continue;
        const fs::path candidate = fs::path(dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
}

fs::path program(const std::string& name) {
    const auto p = find_program(name);
    if (!p) throw std::runtime_error(name + " not found");
    return *p;
}

// Loopback ports nobody listens on now, all different (the sockets stay open until all are found,
// so the kernel cannot hand out one port twice).
std::vector<int> free_ports(int count) {
    std::vector<int> fds, ports;
    for (int i = 0; i < count; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            if (fd >= 0) ::close(fd);
            for (int f : fds) ::close(f);
            throw std::runtime_error("no free port");
        }
        fds.push_back(fd);
        ports.push_back(ntohs(addr.sin_port));
    }
    for (int f : fds) ::close(f);
    return ports;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string tail(const std::string& text, std::size_t lines) {
    std::size_t pos = text.size();
    for (std::size_t n = 0; n <= lines && pos > 0; ++n) {
        const auto p = text.rfind('\n', pos - 1);
        if (p == std::string::npos) return text;
        pos = p;
    }
    return text.substr(pos);
}

pid_t read_pid(const fs::path& file, double timeout_seconds) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    while (std::chrono::steady_clock::now() < end) {
        std::ifstream in(file);
        pid_t pid = 0;
        if (in >> pid && pid > 0) return pid;
        std::this_thread::sleep_for(50ms);
    }
    return -1;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

void run_checked(const std::vector<std::string>& argv) {
    const sr::CommandResult r = sr::run_command(argv);
    if (r.exit_code != 0) throw std::runtime_error(argv[0] + " failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
}

}  // namespace

std::optional<std::string> SlurmCluster::missing() {
    std::string absent;
    for (const char* name : {"munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo"}) {
        if (!find_program(name)) absent += std::string(absent.empty() ? "" : ", ") + name;
    }
    if (absent.empty()) {
        if (::geteuid() != 0) return std::string("Slurm test cluster needs root (slurmd starts jobs as their users)");
        return std::nullopt;
    }
    return "Slurm test cluster not available: " + absent +
           " not installed (apt-get install slurm-wlm munge; tools/install_deps.sh does)";
}

SlurmCluster::SlurmCluster() {
    std::string pattern = (fs::temp_directory_path() / "sr_slurm_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    cpus_ = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    try {
        for (const char* sub : {"munge", "state", "spool", "log"}) fs::create_directories(dir_ / sub);
        fs::permissions(dir_ / "munge", fs::perms::owner_all);
        {
            std::random_device random;
            std::ofstream key(dir_ / "munge" / "munge.key", std::ios::binary);
            for (int i = 0; i < 1024; ++i) key.put(static_cast<char>(random() & 0xff));
        }
        fs::permissions(dir_ / "munge" / "munge.key", fs::perms::owner_read);
        const std::string d = dir_.string();
        run_checked({program("munged").string(), "--key-file=" + d + "/munge/munge.key",
                     "--socket=" + d + "/munge/munge.sock", "--pid-file=" + d + "/munge/munged.pid",
                     "--log-file=" + d + "/munge/munged.log", "--seed-file=" + d + "/munge/munged.seed", "--force"});
        pids_.push_back(read_pid(dir_ / "munge" / "munged.pid", 10));

        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        std::string node = host;
        node = node.substr(0, node.find('.'));
        const std::vector<int> ports = free_ports(2);
        std::ofstream conf(dir_ / "slurm.conf");
        conf << "# sweep_runner tests: a single-node Slurm on loopback\n"
             << "ClusterName=srtest\n"
             << "SlurmctldHost=" << node << "(127.0.0.1)\n"
             << "SlurmctldPort=" << ports[0] << "\nSlurmdPort=" << ports[1] << '\n'
             << "SlurmUser=root\nSlurmdUser=root\n"
             << "AuthType=auth/munge\nCredType=cred/munge\n"
             // cred_expire also delays a requeued job's restart (default 120 s).
             << "AuthInfo=socket=" << d << "/munge/munge.sock,cred_expire=5\n"
             << "StateSaveLocation=" << d << "/state\nSlurmdSpoolDir=" << d << "/spool\n"
             << "SlurmctldPidFile=" << d << "/slurmctld.pid\nSlurmdPidFile=" << d << "/slurmd.pid\n"
             << "SlurmctldLogFile=" << d << "/log/slurmctld.log\nSlurmdLogFile=" << d << "/log/slurmd.log\n"
             << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
             << "SchedulerType=sched/backfill\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
             << "SchedulerParameters=sched_interval=1\n"
             << "ReturnToService=2\nMpiDefault=none\n"
             << "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
             << "SlurmctldTimeout=30\nSlurmdTimeout=30\nInactiveLimit=0\nMinJobAge=300\nKillWait=5\n"
             << "MaxArraySize=4\n"
             << "NodeName=" << node << " NodeAddr=127.0.0.1 CPUs=" << cpus_ << " RealMemory=1000 State=UNKNOWN\n"
             << "PartitionName=debug Nodes=" << node << " Default=YES MaxTime=INFINITE State=UP\n";
        conf.close();
        ::setenv("SLURM_CONF", (dir_ / "slurm.conf").c_str(), 1);

        run_checked({program("slurmctld").string(), "-i", "-f", (dir_ / "slurm.conf").string()});
        pids_.push_back(read_pid(dir_ / "slurmctld.pid", 10));
        run_checked({program("slurmd").string(), "-f", (dir_ / "slurm.conf").string()});
        pids_.push_back(read_pid(dir_ / "slurmd.pid", 10));
        start_watchdog();

        const auto end = std::chrono::steady_clock::now() + 30s;
        while (true) {
            for (std::size_t i = 0; i < pids_.size(); ++i) {
                if (pids_[i] <= 0 || !alive(pids_[i])) {
                    throw std::runtime_error(std::string(i == 0 ? "munged" : i == 1 ? "slurmctld" : "slurmd") + " is not running");
                }
            }
            const sr::CommandResult r = sr::run_command({"sinfo", "-h", "-o", "%T"});
            if (r.exit_code == 0 && r.out.rfind("idle", 0) == 0) break;
            if (std::chrono::steady_clock::now() > end) throw std::runtime_error("node not idle after 30 s: " + r.out + r.err);
            std::this_thread::sleep_for(200ms);
        }
    } catch (const std::exception& e) {
        const std::string message = std::string(e.what()) + '\n' + logs();
        stop();
        throw std::runtime_error(message);
    }
}

SlurmCluster::~SlurmCluster() { stop(); }

void SlurmCluster::start_watchdog() {
    int fds[2];
    if (::pipe(fds) != 0) return;
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        return;
    }
    if (pid == 0) {
        ::close(fds[1]);
        ::setpgid(0, 0);  // out of the test's process group
        char c = 0;
        ssize_t n;
        while ((n = ::read(fds[0], &c, 1)) < 0 && errno == EINTR) {}
        if (n == 1) ::_exit(0);  // stop() ran
        // The test process is gone: cancel its jobs, stop the daemons it started, by pid.
        sr::run_command({"scancel", "--full", "--user=" + std::to_string(::getuid())});
        for (auto it = pids_.rbegin(); it != pids_.rend(); ++it) {
            if (*it > 0) ::kill(*it, SIGTERM);
        }
        ::sleep(5);
        for (pid_t p : pids_) {
            if (p > 0) ::kill(p, SIGKILL);
        }
        std::error_code ec;
        fs::remove_all(dir_, ec);
        ::_exit(0);
    }
    ::close(fds[0]);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);  // only this process holds the write end
    watchdog_ = pid;
    watchdog_pipe_ = fds[1];
}

void SlurmCluster::stop() {
    if (watchdog_pipe_ >= 0) {
        const char done = 'x';
        if (::write(watchdog_pipe_, &done, 1) == 1) ::waitpid(watchdog_, nullptr, 0);
        ::close(watchdog_pipe_);
        watchdog_pipe_ = -1;
        watchdog_ = -1;
    }
    if (!pids_.empty()) sr::run_command({"scancel", "--full", "--user=" + std::to_string(::getuid())});
    // slurmd, slurmctld, then munged; each by its pid.
    for (auto it = pids_.rbegin(); it != pids_.rend(); ++it) {
        const pid_t pid = *it;
        if (pid <= 0) continue;
        ::kill(pid, SIGTERM);
        const auto end = std::chrono::steady_clock::now() + 10s;
        while (alive(pid) && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(50ms);
        if (alive(pid)) ::kill(pid, SIGKILL);
    }
    pids_.clear();
    if (!dir_.empty() && std::getenv("SR_KEEP_TEST_DIRS") == nullptr) {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    dir_.clear();
}

bool SlurmCluster::wait_for_jobs(const std::vector<std::string>& ids, double timeout_seconds) const {
    std::string list;
    for (const std::string& id : ids) list += (list.empty() ? "" : ",") + id;
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    while (std::chrono::steady_clock::now() < end) {
        const sr::CommandResult r = sr::run_command({"squeue", "-h", "-j", list, "-o", "%i %T"});
        if (r.exit_code == 0 && r.out.find_first_not_of(" \n") == std::string::npos) return true;
        std::this_thread::sleep_for(500ms);
    }
    return false;
}

std::string SlurmCluster::logs() const {
    std::string s;
    for (const char* name : {"log/slurmctld.log", "log/slurmd.log", "munge/munged.log"}) {
        if (fs::exists(dir_ / name)) s += std::string("--- ") + name + tail(read_text(dir_ / name), 15) + '\n';
    }
    return s;
}

}  // namespace sr::testing
