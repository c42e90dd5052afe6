package dev.gpudra.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class XidCatalogTest {

  @ParameterizedTest(name = "XID {0} is {1}")
  @CsvSource({
    "79, FATAL",
    "151, FATAL",
    "999, FATAL",
    "4242, FATAL",
    "48, NEEDS_RESET",
    "109, NEEDS_RESET",
    "119, NEEDS_RESET",
    "13, APPLICATION",
    "31, APPLICATION",
    "94, APPLICATION",
    "43, INFORMATIONAL",
    "63, INFORMATIONAL",
    "92, INFORMATIONAL"
  })
  void classifiesFromTheCatalogAndTreatsUnknownXidsAsFatal(long xid, XidClass expected) {
    assertThat(new XidCatalog(Set.of()).classify(xid)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "ignored XID {0} becomes informational")
  @CsvSource({"79", "48", "13", "4242"})
  void adminIgnoredXidsAreInformationalWhateverTheTableSays(int xid) {
    XidClass xidClass = new XidCatalog(Set.of(xid)).classify(xid);

    assertThat(xidClass).isEqualTo(XidClass.INFORMATIONAL);
    assertThat(xidClass.unhealthy()).isFalse();
  }
}
