package dev.gpudra.image;

/**
 * An image name and tag as users write it ({@code gpudra/gpudra:0.1.0}) and as container runtimes
 * store it ({@code docker.io/gpudra/gpudra:0.1.0}): containerd's CRI plugin looks images up by the
 * normalised name, so an archive must carry that form for a pod's {@code image:
 * gpudra/gpudra:0.1.0} to find it without a pull.
 */
record ImageReference(String repository, String tag) {
  ImageReference {
    if (repository.isBlank() || (repository.contains(":") && !repository.contains("/"))) {
      throw new IllegalArgumentException("bad image repository: " + repository);
    }
    if (!tag.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
      throw new IllegalArgumentException("bad image tag: " + tag);
    }
  }

  /** Parses {@code repository:tag}. */
  static ImageReference parse(String reference) {
    int colon = reference.lastIndexOf(':');
    if (colon < 0 || reference.indexOf('/', colon) >= 0) {
      throw new IllegalArgumentException("image reference needs a tag: " + reference);
    }
    return new ImageReference(reference.substring(0, colon), reference.substring(colon + 1));
  }

  /** The repository as Docker and containerd normalise it: registry and namespace spelled out. */
  String normalisedRepository() {
    int slash = repository.indexOf('/');
    if (slash < 0) {
      return "docker.io/library/" + repository;
    }
    String first = repository.substring(0, slash);
    boolean registry = first.contains(".") || first.contains(":") || first.equals("localhost");
    return registry ? repository : "docker.io/" + repository;
  }

  /** {@code docker.io/gpudra/gpudra:0.1.0}. */
  String normalised() {
    return normalisedRepository() + ":" + tag;
  }

  @Override
  public String toString() {
    return repository + ":" + tag;
  }
}
