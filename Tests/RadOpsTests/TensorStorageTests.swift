import Testing
import RadOps

/// Storage comes zero-filled and 64-byte aligned at every size, including the large buffers that are
/// kept and handed out again after a tensor is freed.
@Suite struct TensorStorageTests {
    @Test(arguments: [1, 1000, 12 << 20])   // 4 bytes, 4 kB, 48 MiB (above glibc's mmap threshold)
    func freshAndReusedStorageIsZeroAndAligned(_ count: Int) {
        for round in 0..<3 {
            let t = Tensor(zeros: [count])
            #expect(Int(bitPattern: t.data) % 64 == 0)
            var nonZero = 0
            for i in stride(from: 0, to: count, by: max(1, count / 4096)) where t.data[i] != 0 { nonZero += 1 }
            #expect(t.data[count - 1] == 0 && nonZero == 0, "round \(round)")
            t.fill(7)   // dirty it before it is freed and, for large sizes, reused
        }
    }

    @Test func manyLargeTensorsAliveAtOnceAreDistinct() {
        let tensors = (0..<3).map { i in Tensor(shape: [9 << 20]) { _ in Float(i) } }
        #expect(Set(tensors.map { Int(bitPattern: $0.data) }).count == 3)
        #expect(tensors.enumerated().allSatisfy { i, t in t.data[0] == Float(i) && t.data[t.count - 1] == Float(i) })
    }
}
