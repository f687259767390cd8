using System.Security.Cryptography;
using System.Text;

namespace AgentOps.Workers.Agent;

/// <summary>
/// Deterministic ids: a trajectory id is a hash of (run, episode, attempt), so a push retried after a lost ack
/// carries the same id and the gateway stores it once; a new attempt of an episode gets a new id.
/// </summary>
public static class TrajectoryIds
{
    public static string For(string runId, string episodeId, int attempt) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{runId}\n{episodeId}\n{attempt}")).AsSpan(0, 16));

    /// <summary>Stable sampling seed for one policy call of one episode attempt (never 0: 0 lets the server choose).</summary>
    public static ulong Seed(string trajectoryId, int turn) =>
        BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"{trajectoryId}/{turn}")), 0) | 1UL;
}
