package dev.gpudra.core.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PciTopologyTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:07:00.0 | 0000:07:00.0 | pci0000:00
      pci0000:80/0000:80:01.1/0000:87:00.0                           | 0000:87:00.0 | pci0000:80
      pci0000:00/0000:00:03.0                                        | 0000:00:03.0 | pci0000:00
      pci0001:c0/0001:c0:02.0/0001:c1:00.0                           | 0001:c1:00.0 | pci0001:c0
      """)
  void theRootIsTheFirstComponentOfTheDevicesPath(String path, String busId, String root) {
    assertThat(PciTopology.pcieRootOf(path, busId)).isEqualTo(root);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      platform/soc/0000:07:00.0                  | 0000:07:00.0 | does not start with a PCIe root
      pci10000:00/10000:00:01.0/0000:07:00.0     | 0000:07:00.0 | does not start with a PCIe root
      PCI0000:00/0000:07:00.0                    | 0000:07:00.0 | does not start with a PCIe root
      pci0000:00/0000:00:01.1/0000:0f:00.0       | 0000:07:00.0 | names another device
      pci0000:00                                 | 0000:07:00.0 | names another device
      """)
  void aPathThatIsNotTheDeviceUnderARootIsRefusedWithTheReason(
      String path, String busId, String reason) {
    assertThatThrownBy(() -> PciTopology.pcieRootOf(path, busId))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(busId)
        .hasMessageContaining(reason);
  }

  @Test
  void numaNodeMinusOneMeansNone() {
    assertThat(PciTopology.numaNodeOf("-1\n")).isEmpty();
    assertThat(PciTopology.numaNodeOf("0\n")).hasValue(0);
    assertThat(PciTopology.numaNodeOf(" 3 ")).hasValue(3);
  }

  @Test
  void numaNodeThatIsNotANodeIsRefused() {
    assertThatThrownBy(() -> PciTopology.numaNodeOf("")).hasMessageContaining("not a number");
    assertThatThrownBy(() -> PciTopology.numaNodeOf("zero")).hasMessageContaining("not a number");
    assertThatThrownBy(() -> PciTopology.numaNodeOf("-2")).hasMessageContaining("below -1");
  }

  @Test
  void onlyWellFormedValuesMakeATopology() {
    assertThat(new PciTopology(Optional.of("pci0000:a0"), OptionalInt.of(1)).pcieRoot())
        .contains("pci0000:a0");
    assertThatThrownBy(() -> new PciTopology(Optional.of("pci0000:A0"), OptionalInt.empty()))
        .hasMessageContaining("pci0000:00");
    assertThatThrownBy(() -> new PciTopology(Optional.empty(), OptionalInt.of(-1)))
        .hasMessageContaining(">= 0");
  }
}
