namespace AgentOps.Trainer.Training;

/// <summary>
/// Ends the SFT cold start at a target loss (spec.policy.sft.targetLoss): once the mean training loss of the last
/// <see cref="Window"/> steps is at or below it. A cold start only has to teach the format; past that, SFT on
/// fresh demonstrations lands wherever its loss happened to be at the last step (measured on the arithmetic example:
/// the drop in loss came between steps 260 and 380, and the held-out success after 400 steps ranged 64.5-91.5%).
/// </summary>
public sealed class SftLossTarget(double target)
{
    /// <summary>Steps averaged: one batch's loss swings with its mix of long and short demonstrations.</summary>
    public const int Window = 10;

    private readonly Queue<double> _last = new();

    public double Target => target;

    /// <summary>The mean of the last <see cref="Window"/> losses, or null before there are that many.</summary>
    public double? Mean => _last.Count == Window ? _last.Sum() / Window : null;

    /// <summary>Records one step's loss; true when the window is full and its mean is at or below the target.</summary>
    public bool Record(double loss)
    {
        _last.Enqueue(loss);
        if (_last.Count > Window) _last.Dequeue();
        return target > 0 && Mean is { } mean && mean <= target;
    }
}
