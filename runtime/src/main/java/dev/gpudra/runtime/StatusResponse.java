package dev.gpudra.runtime;

import java.util.Objects;

/**
 * What a {@link StatusServer} route answers: an HTTP status, a content type and a text body.
 *
 * @param status the HTTP status code
 * @param contentType the {@code Content-Type} header
 * @param body the body, sent as UTF-8
 */
public record StatusResponse(int status, String contentType, String body) {

  /** Plain UTF-8 text, the type of every status answer but Prometheus metrics. */
  public static final String TEXT = "text/plain; charset=utf-8";

  /** The Prometheus text exposition format. */
  public static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

  public StatusResponse {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("not an HTTP status: " + status);
    }
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
  }

  /** A plain-text answer. */
  public static StatusResponse text(int status, String body) {
    return new StatusResponse(status, TEXT, body);
  }
}
