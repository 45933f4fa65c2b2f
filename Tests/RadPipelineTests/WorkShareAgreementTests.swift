import Foundation
import Testing
import RadOps
import RadPipeline

/// `WorkShare.agree`, the ranks' agreement on a failure or a stop, seen from one rank of two: the other
/// rank's side of each sum is scripted.
@Suite struct WorkShareAgreementTests {
    /// Rank `part` of two; each `combine` adds the next scripted vector (the other rank's values).
    final class ScriptedShare: WorkShare {
        let part: Int
        var parts: Int { 2 }
        var others: [[Double]]
        init(part: Int, others: [[Double]]) { self.part = part; self.others = others }
        func combine(_ values: inout [Double]) throws {
            let other = others.removeFirst()
            precondition(other.count == values.count, "the ranks' sums must have one shape")
            for i in values.indices { values[i] += other[i] }
        }
    }

    /// The other rank's flags: [SIGINT, SIGTERM, rank 0's length and input flag, rank 1's].
    static func flags(rank: Int, length: Int = 0, input: Bool = false, sigterm: Bool = false) -> [Double] {
        var f = [0, sigterm ? 1 : 0, 0, 0, 0, 0] as [Double]
        f[2 + 2 * rank] = Double(length); f[3 + 2 * rank] = input ? 1 : 0
        return f
    }

    @Test func anotherRanksInputErrorIsThrownHereWithItsRankAndMessage() throws {
        let message = Array("/data/d4.txt: not UTF-8 text".utf8).map(Double.init)
        let share = ScriptedShare(part: 0, others: [Self.flags(rank: 1, length: message.count, input: true), message])
        do {
            try share.agree(failure: nil)
            Issue.record("the other rank's failure was not thrown")
        } catch {
            #expect(error is InvalidInputError)
            #expect("\(error)" == "rank 1: /data/d4.txt: not UTF-8 text")
        }
        #expect(share.others.isEmpty)
    }

    @Test func theLowestFailedRankSpeaksAndAFailureWhileRunningStaysOne() throws {
        // Rank 1 (this one) and rank 0 both failed: rank 0's message is the one; it was not bad input.
        let message = Array("out of disk".utf8).map(Double.init)
        let share = ScriptedShare(part: 1, others: [Self.flags(rank: 0, length: message.count), message])
        do {
            try share.agree(failure: DataError("mine"))
            Issue.record("no failure thrown")
        } catch {
            #expect(!(error is InvalidInputError))
            #expect(error is SharedStepFailure)
            #expect("\(error)" == "out of disk")
        }
    }

    @Test func thisRanksOwnFailureTravelsToTheOthers() throws {
        // The other rank adds zeros to this rank's message bytes.
        let share = ScriptedShare(part: 1, others: [Self.flags(rank: 1), [Double](repeating: 0, count: 4)])
        #expect(throws: SharedStepInputFailure.self) { try share.agree(failure: DataError("abcd")) }
    }

    @Test func withoutFailureAnotherRanksStopIsEveryRanks() throws {
        let share = ScriptedShare(part: 0, others: [Self.flags(rank: 1, sigterm: true)])
        do { try share.agree(failure: nil); Issue.record("no stop") }
        catch let stop as Interrupted { #expect(stop.signal == SIGTERM) }
        let quiet = ScriptedShare(part: 0, others: [Self.flags(rank: 1)])
        try quiet.agree(failure: nil)
    }

    @Test func forEachUnitAgreesAfterTheLastUnit() throws {
        // 3 units over 2 ranks: 2 rounds, one agreement before each and one after the last.
        let share = ScriptedShare(part: 0, others: Array(repeating: Self.flags(rank: 1), count: 3))
        var done: [Int] = []
        try share.forEachUnit(of: 3) { done.append($0) }
        #expect(done == [0, 1])
        #expect(share.others.isEmpty)
    }

    @Test func oneProcessThrowsTheUnitsOwnError() throws {
        #expect(throws: DataError.self) { try WholeWork().forEachUnit(of: 3) { if $0 == 1 { throw DataError("bad") } } }
        #expect(throws: DataError.self) { try WholeWork().agreeing { throw DataError("bad") } }
    }
}
