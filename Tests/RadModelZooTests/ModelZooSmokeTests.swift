import RadOps
import Testing
import RadModelZoo

@Suite struct ModelZooSmokeTests {
    @Test func reExportsRadOps() {
        let t = Tensor(zeros: [2, 2])
        #expect(t.count == 4)
    }
}
