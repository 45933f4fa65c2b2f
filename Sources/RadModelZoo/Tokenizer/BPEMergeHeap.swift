/// BPE merging for long words in O(n log n): symbols in a linked list, candidate pairs in a
/// min-heap ordered by (rank, position). The pair scan of `BPETokenizer.bpe` is quadratic, which
/// is fastest for ordinary words but would take seconds on a 100 KB run without spaces (base64,
/// rules of '='). Both give the same merges: lowest rank first, leftmost first among equal ranks.
public struct BPEMergeHeap {
    struct Candidate {
        var rank: Int32
        var pos: Int32
        var left: Int32
        var right: Int32
        @inline(__always) static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos
        }
    }

    public static func merge(_ symbols: [Int32], merges: [UInt64: (rank: Int32, id: Int32)]) -> [Int32] {
        let n = symbols.count
        var ids = symbols
        var next = (0..<n).map { Int32($0 + 1 < n ? $0 + 1 : -1) }
        var prev = (0..<n).map { Int32($0 - 1) }
        var alive = [Bool](repeating: true, count: n)
        var heap: [Candidate] = []
        heap.reserveCapacity(n)

        func push(_ c: Candidate) {
            heap.append(c)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard heap[i] < heap[parent] else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }
        func pop() -> Candidate {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < heap.count && heap[l] < heap[m] { m = l }
                    if r < heap.count && heap[r] < heap[m] { m = r }
                    if m == i { break }
                    heap.swapAt(i, m)
                    i = m
                }
            }
            return top
        }
        func candidate(_ p: Int32) {
            let q = next[Int(p)]
            guard q >= 0 else { return }
            let a = ids[Int(p)], b = ids[Int(q)]
            if let m = merges[UInt64(UInt32(a)) << 32 | UInt64(UInt32(b))] {
                push(Candidate(rank: m.rank, pos: p, left: a, right: b))
            }
        }

        for p in 0..<(n - 1) { candidate(Int32(p)) }
        while !heap.isEmpty {
            let c = pop()
            let p = Int(c.pos)
            let q = Int(next[p])
            // Skip pairs made stale by an earlier merge.
            guard alive[p], q >= 0, ids[p] == c.left, ids[q] == c.right else { continue }
            ids[p] = merges[UInt64(UInt32(c.left)) << 32 | UInt64(UInt32(c.right))]!.id
            alive[q] = false
            let after = next[q]
            next[p] = after
            if after >= 0 { prev[Int(after)] = Int32(p) }
            if prev[p] >= 0 { candidate(prev[p]) }
            candidate(Int32(p))
        }
        var out: [Int32] = []
        var p: Int32 = 0
        while p >= 0 {
            out.append(ids[Int(p)])
            p = next[Int(p)]
        }
        return out
    }
}
