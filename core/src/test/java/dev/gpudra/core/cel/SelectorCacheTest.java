package dev.gpudra.core.cel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SelectorCacheTest {
  private final SelectorCache cache = new SelectorCache(SelectorEnvironment.create(), 2);

  @Test
  void returnsTheSameCompilationForTheSameExpression() {
    Compilation first = cache.getOrCompile("device.driver == \"a\"");
    assertThat(cache.getOrCompile("device.driver == \"a\"")).isSameAs(first);
  }

  @Test
  void cachesInvalidExpressionsToo() {
    Compilation invalid = cache.getOrCompile("device.driver ==");
    assertThat(invalid).isInstanceOf(Compilation.Invalid.class);
    assertThat(cache.getOrCompile("device.driver ==")).isSameAs(invalid);
  }

  @Test
  void evictsTheLeastRecentlyUsedExpressionBeyondItsBound() {
    Compilation a = cache.getOrCompile("true");
    cache.getOrCompile("false");
    cache.getOrCompile("true");
    cache.getOrCompile("1 == 1");
    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.getOrCompile("true")).isSameAs(a);
  }
}
