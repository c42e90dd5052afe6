package dev.gpudra.e2e.realnode;

import dev.gpudra.e2e.cluster.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The cgroup of one node's pods, {@code /<name>} in every mounted hierarchy (cgroup v1 controllers,
 * the named systemd hierarchy, the unified cgroup2). The kubelet is told to place its pods there
 * ({@code cgroupRoot}), so containerd creates each container's cgroup below it and {@link #close()}
 * can find and kill exactly this node's container processes and remove every cgroup it left,
 * without touching another node's or the host's.
 */
final class NodeCgroups implements AutoCloseable {

  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  private static final Duration EMPTY = Duration.ofSeconds(30);

  private final String name;
  private final List<Path> dirs;

  private NodeCgroups(String name, List<Path> dirs) {
    this.name = name;
    this.dirs = dirs;
  }

  /** Creates {@code /<name>} in every hierarchy under {@code /sys/fs/cgroup}. */
  static NodeCgroups create(String name) {
    List<Path> dirs = new ArrayList<>();
    for (Path hierarchy : hierarchies()) {
      Path dir = hierarchy.resolve(name);
      try {
        Files.createDirectories(dir);
        // A new cpuset cgroup starts with no CPUs and memory nodes, and no process can join it.
        for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
          if (Files.exists(dir.resolve(file)) && Files.readString(dir.resolve(file)).isBlank()) {
            Files.writeString(dir.resolve(file), Files.readString(hierarchy.resolve(file)).strip());
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create cgroup " + dir, e);
      }
      dirs.add(dir);
    }
    return new NodeCgroups(name, List.copyOf(dirs));
  }

  /** The cgroup path the kubelet gets as {@code cgroupRoot}. */
  String path() {
    return "/" + name;
  }

  /** PIDs of every process in the node's cgroups: its containers' processes. */
  List<Long> processes() {
    List<Long> pids = new ArrayList<>();
    for (Path dir : dirs) {
      for (Path procs : files(dir, "cgroup.procs")) {
        try {
          Files.readAllLines(procs).stream()
              .filter(l -> !l.isBlank())
              .map(Long::parseLong)
              .forEach(pids::add);
        } catch (IOException e) {
          // removed meanwhile: its processes are gone
        }
      }
    }
    return pids.stream().distinct().toList();
  }

  /** Kills the node's container processes (SIGKILL) and removes its cgroups, deepest first. */
  @Override
  public void close() {
    for (Long pid : processes()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    Poll.until(
        "cgroups " + path() + " empty",
        EMPTY,
        Duration.ofMillis(100),
        this::processes,
        List::isEmpty);
    for (Path dir : dirs) {
      try (Stream<Path> tree = Files.walk(dir)) {
        for (Path cgroup :
            tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(cgroup); // rmdir; a cgroup's files are not removable one by one
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove cgroup " + dir, e);
      }
    }
  }

  private static List<Path> files(Path dir, String fileName) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> tree = Files.walk(dir)) {
      return tree.filter(p -> p.getFileName().toString().equals(fileName)).toList();
    } catch (IOException | UncheckedIOException e) {
      return List.of(); // a cgroup removed while walking
    }
  }

  private static List<Path> hierarchies() {
    if (Files.exists(ROOT.resolve("cgroup.procs"))) {
      return List.of(ROOT); // cgroup v2 only
    }
    try (Stream<Path> entries = Files.list(ROOT)) {
      return entries.filter(h -> Files.exists(h.resolve("cgroup.procs"))).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + ROOT, e);
    }
  }
}
