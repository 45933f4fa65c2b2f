import RadModelZoo
import RadOps
import Testing
import RadPipeline

@Suite struct PipelineSmokeTests {
    @Test func reExportsLowerModules() {
        #expect(Tensor(zeros: [3]).count == 3)
    }
}
