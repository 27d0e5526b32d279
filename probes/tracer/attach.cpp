// Attachment: the object's programs to their hooks, each target to the kernel's target map,
// and per target the uprobes (the resolver functions of its libc) and the Python frame layout.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "probes/proc_reader.hpp"
#include "probes/trace_error.hpp"
#include "probes/tracer/tracer_impl.hpp"

namespace iotrace::probes {

namespace {

bool is_dns_prog(const bpf_program* p) {
  return std::strncmp(bpf_program__name(p), "iot_dns_", 8) == 0;
}

// The resolver functions probed in each target's libc, in IOT_FN_* order.
constexpr const char* k_dns_functions[IOT_FN_COUNT] = {
    "getaddrinfo", "gethostbyname", "gethostbyname2", "gethostbyname_r", "gethostbyname2_r"};

}  // namespace

int Tracer::Impl::on_event(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Impl*>(ctx);
  if (size < sizeof(iot_event_hdr)) return 0;
  auto* hdr = static_cast<const iot_event_hdr*>(data);
  if (hdr->type == IOT_EV_STALL && size >= sizeof(iot_stall_event))
    self->stalls.push_back(*static_cast<const iot_stall_event*>(data));
  if (hdr->type == IOT_EV_USTACK && size >= sizeof(iot_ustack_event))
    self->samples.add(*static_cast<const iot_ustack_event*>(data));
  return 0;  // unknown kinds are skipped
}

int Tracer::Impl::on_timeline(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Impl*>(ctx);
  if (self->timeline) self->timeline->add(data, size);
  return 0;
}

void Tracer::Impl::attach() {
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel->obj) {
    if (!bpf_program__autoload(prog) || is_dns_prog(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (prog == skel->progs.iot_dump_threads && !libbpf_get_error(link)) {
      iter_link = link;  // not a hook: outlives detach so the rows stay readable
      continue;
    }
    int err = libbpf_get_error(link);
    if (err) {
      if (is_loop_watch_prog(prog) && (err == -ENOENT || err == -EINVAL)) {
        // a wait this architecture or kernel lacks (arm64 has no epoll_wait, poll or select;
        // epoll_pwait2 is Linux 5.11)
        if (verbose())
          fmt::print(stderr, "iotrace: {} not attached: {}\n", bpf_program__section_name(prog), errno_text(err));
        continue;
      }
      if (is_uring_prog(prog)) {
        std::string tp = std::string(bpf_program__section_name(prog)).substr(7);  // tp_btf/
        notes.push_back(fmt::format("io_uring tracepoint {} could not be attached ({}): its "
                                    "counts are missing", tp, errno_text(err)));
        for (const auto& c : uring_counts_of(tp)) mark_unavailable(c);
        continue;
      }
      throw TraceError(TraceError::Kind::environment,
                       fmt::format("attaching {} ({}) failed: {}", bpf_program__name(prog),
                                   bpf_program__section_name(prog), errno_text(err)),
                       "run 'iotrace doctor'; -v shows libbpf's log");
    }
    // The skeleton owns links it created; store ours the same way so destroy() frees them.
    for (int i = 0; i < skel->skeleton->prog_cnt; ++i)
      if (*skel->skeleton->progs[i].prog == prog) *skel->skeleton->progs[i].link = link;
  }
  rb = ring_buffer__new(bpf_map__fd(skel->maps.iot_events), on_event, this, nullptr);
  if (!rb || ring_buffer__add(rb, bpf_map__fd(skel->maps.iot_ustacks), on_event, this) ||
      (opts.timeline && ring_buffer__add(rb, bpf_map__fd(skel->maps.iot_timeline), on_timeline, this)))
    throw TraceError(TraceError::Kind::environment,
                     fmt::format("creating the ring buffer failed: {}", errno_text(errno)));
}

void Tracer::Impl::add_target(uint32_t pid, bool followed, bool in_kernel) {
  __u8 one = 1;  // IOT_TARGET_LIVE
  if (in_kernel && bpf_map_update_elem(bpf_map__fd(skel->maps.iot_targets), &pid, &one, BPF_ANY))
    throw TraceError(TraceError::Kind::internal,
                     fmt::format("registering pid {} failed: {}", pid, errno_text(errno)));
  if (procs.count(pid)) return;
  ProcessRecord p;
  p.pid = pid;
  p.followed = followed;
  fill_process(p);
  procs[pid] = p;
  symbolizer.refresh(pid);
  if (stopped_ns) return;  // found while collecting after the trace ended: nothing to attach
  prefill_et(p);
  attach_dns(pid);
  attach_python(pid);
}

// CPython 3.11 targets: the kernel reads their Python frames at flagged calls.
void Tracer::Impl::attach_python(uint32_t pid) {
  py_checked[pid] = procs[pid].exe;
  std::string note;
  auto layout = samples.python().detect(symbolizer, pid, note);
  if (!note.empty()) notes.push_back(note);
  if (layout && bpf_map_update_elem(bpf_map__fd(skel->maps.iot_py), &pid, &*layout, BPF_ANY))
    notes.push_back(fmt::format("Python frames of process {} are not read: {}", pid, errno_text(errno)));
}

std::vector<uint32_t> Tracer::Impl::map_targets() {
  std::vector<uint32_t> out;
  int fd = bpf_map__fd(skel->maps.iot_targets);
  uint32_t key = 0, next = 0;
  uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(next);
    key = next;
    prev = &key;
  }
  return out;
}

// Registrations made before the trace started are only in fdinfo: seed the ET-fd map so the
// drain check covers them too.
void Tracer::Impl::prefill_et(const ProcessRecord& p) {
  constexpr uint32_t k_epollet = 1u << 31;
  int fd = bpf_map__fd(skel->maps.iot_etfds);
  __u8 one = 1;
  for (const auto& inst : p.epoll)
    for (const auto& e : inst.entries)
      if (e.events & k_epollet) {
        iot_etfd_key key{p.pid, e.tfd};
        skel->bss->et_seen = 1;  // first: an EPOLL_CTL_DEL from now on deletes the key
        bpf_map_update_elem(fd, &key, &one, BPF_ANY);
      }
}

// Uprobes on the resolver functions of the libc this process maps. Every process mapping the
// same file shares the probes (pid -1); the BPF side filters on targets.
void Tracer::Impl::attach_dns(uint32_t pid) {
  auto maps = read_file(fmt::format("/proc/{}/maps", pid));
  if (!maps) return;
  std::string libc;
  for (const auto& m : parse_maps(*maps)) {
    auto slash = m.path.rfind('/');
    std::string base = slash == std::string::npos ? m.path : m.path.substr(slash + 1);
    if (m.exec && base.rfind("libc.so", 0) == 0) libc = m.path;
  }
  if (libc.empty() || dns_libcs.count(libc)) return;
  dns_libcs.insert(libc);
  // through the target's root, so a containerised target's own libc is the one probed
  std::string path = fmt::format("/proc/{}/root{}", pid, libc);
  for (int fn = 0; fn < IOT_FN_COUNT; ++fn) {
    for (bool ret : {false, true}) {
      LIBBPF_OPTS(bpf_uprobe_opts, uo);
      uo.func_name = k_dns_functions[fn];
      uo.retprobe = ret;
      uo.bpf_cookie = static_cast<__u64>(fn);
      bpf_program* prog = btf_programs
                              ? (ret ? skel->progs.iot_dns_exit_btf : skel->progs.iot_dns_enter_btf)
                              : (ret ? skel->progs.iot_dns_exit_raw : skel->progs.iot_dns_enter_raw);
      bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, path.c_str(), 0, &uo);
      if (libbpf_get_error(link)) {
        if (!dns_failed_noted)
          notes.push_back(fmt::format("uprobe on {} in {} failed ({}): synchronous DNS is "
                                      "detected from UDP port 53 traffic only",
                                      k_dns_functions[fn], libc, errno_text(errno)));
        dns_failed_noted = true;
        continue;
      }
      dns_links.push_back(link);
    }
  }
}

}  // namespace iotrace::probes
