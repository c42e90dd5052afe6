package dev.gpudra.runtime;

/**
 * One endpoint of a {@link StatusServer}: computes the answer for a request path. It never writes
 * to the connection itself, so the server can always answer, with 500 when the route throws.
 */
@FunctionalInterface
public interface StatusRoute {

  /**
   * The answer for a request.
   *
   * @param path the request's path, e.g. {@code /explain/default/claim-1}
   * @throws Exception on any failure; the server answers 500 and logs it
   */
  StatusResponse answer(String path) throws Exception;
}
