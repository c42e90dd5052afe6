package dev.gpudra.cdi.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * An OCI hook a container receives ({@code hooks[]} in a CDI spec).
 *
 * @param hookName lifecycle point
 * @param path absolute path of the executable on the host
 * @param args full argument vector, {@code args[0]} included
 * @param env environment of the hook, {@code KEY=value}
 * @param timeout seconds, null for none
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonPropertyOrder({"hookName", "path", "args", "env", "timeout"})
public record Hook(
    HookName hookName, String path, List<String> args, List<String> env, Integer timeout) {

  /** Validates and copies. */
  public Hook {
    if (hookName == null) {
      throw new IllegalArgumentException("hook without a hookName");
    }
    ContainerPaths.requireAbsolute(path, "hook path");
    args = args == null ? List.of() : List.copyOf(args);
    env = Env.requireValid(env, "hook env");
    if (timeout != null && timeout <= 0) {
      throw new IllegalArgumentException("hook " + path + ": timeout must be positive");
    }
  }
}
