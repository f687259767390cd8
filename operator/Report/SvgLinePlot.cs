using System.Globalization;
using System.Net;
using System.Text;

namespace AgentOps.Operator.Report;

public sealed record PlotSeries(string Name, string Color, IReadOnlyList<Point> Points);

/// <summary>
/// A line plot as inline SVG: one polyline vertex per point, "nice" axis ticks (Heckbert 1990, "Nice numbers
/// for graph labels"), axis labels, a legend, and dashed markers where a phase begins. No scripts, no fonts
/// to load: the report is one self-contained file.
/// </summary>
public static class SvgLinePlot
{
    public const int Width = 560, Height = 260;
    private const int Left = 64, Right = 16, Top = 30, Bottom = 46;

    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series,
        IReadOnlyList<(double X, string Phase)>? markers = null, (double Min, double Max)? yRange = null)
    {
        var all = series.SelectMany(s => s.Points).ToList();
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{E(title)}\">");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"title\" x=\"{Left}\" y=\"18\">{E(title)}</text>");
        if (all.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"empty\" x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no data</text></svg>");
            return sb.ToString();
        }
        double x0 = all.Min(p => p.X), x1 = all.Max(p => p.X);
        double y0 = yRange?.Min ?? all.Min(p => p.Y), y1 = yRange?.Max ?? all.Max(p => p.Y);
        if (x1 == x0) { x0 -= 1; x1 += 1; }
        if (y1 == y0) { y0 -= Math.Abs(y0) * 0.1 + 0.5; y1 += Math.Abs(y1) * 0.1 + 0.5; }
        var xt = Ticks(x0, x1, 6);
        var yt = Ticks(y0, y1, 5);
        if (yRange is null) { y0 = Math.Min(y0, yt[0]); y1 = Math.Max(y1, yt[^1]); }
        // Steps: stretch to the outer ticks only when they are close, so the data fills the width.
        if (x0 - xt[0] <= 0.1 * (x1 - x0)) x0 = xt[0];
        if (xt[^1] - x1 <= 0.1 * (x1 - x0)) x1 = xt[^1];
        double pw = Width - Left - Right, ph = Height - Top - Bottom;
        double Sx(double x) => Left + (x - x0) / (x1 - x0) * pw;
        double Sy(double y) => Top + ph - (y - y0) / (y1 - y0) * ph;

        sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"frame\" x=\"{Left}\" y=\"{Top}\" width=\"{pw}\" height=\"{ph}\"/>");
        foreach (var t in yt.Where(t => t >= y0 - 1e-12 && t <= y1 + 1e-12))
        {
            var y = F(Sy(t));
            sb.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Left + pw}\" y1=\"{y}\" y2=\"{y}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{Left - 6}\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"middle\">{Label(t)}</text>");
        }
        foreach (var t in xt.Where(t => t >= x0 - 1e-12 && t <= x1 + 1e-12))
        {
            var x = F(Sx(t));
            sb.Append(CultureInfo.InvariantCulture, $"<line class=\"tickmark\" x1=\"{x}\" x2=\"{x}\" y1=\"{Top + ph}\" y2=\"{Top + ph + 4}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{x}\" y=\"{Top + ph + 16}\" text-anchor=\"middle\">{Label(t)}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"axis-label x-label\" x=\"{Left + pw / 2}\" y=\"{Height - 6}\" text-anchor=\"middle\">{E(xLabel)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text class=\"axis-label y-label\" transform=\"translate(14 {Top + ph / 2}) rotate(-90)\" text-anchor=\"middle\">{E(yLabel)}</text>");
        foreach (var (mx, phase) in markers ?? [])
        {
            if (mx < x0 || mx > x1) continue;
            var x = F(Sx(mx));
            sb.Append(CultureInfo.InvariantCulture, $"<line class=\"phase\" x1=\"{x}\" x2=\"{x}\" y1=\"{Top}\" y2=\"{Top + ph}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"phase-label\" x=\"{x}\" y=\"{Top + 12}\" dx=\"4\">{E(phase)}</text>");
        }
        foreach (var s in series.Where(s => s.Points.Count > 0))
        {
            var pts = string.Join(' ', s.Points.Select(p => $"{F(Sx(p.X))},{F(Sy(p.Y))}"));
            sb.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series\" data-series=\"{E(s.Name)}\" fill=\"none\" stroke=\"{E(s.Color)}\" stroke-width=\"1.6\" points=\"{pts}\"/>");
            if (s.Points.Count == 1)
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{F(Sx(s.Points[0].X))}\" cy=\"{F(Sy(s.Points[0].Y))}\" r=\"2.5\" fill=\"{E(s.Color)}\"/>");
        }
        // The legend sits on the title line, right-aligned, so it never covers the data.
        double lx = Width - Right;
        foreach (var s in series.Reverse())
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"legend\" x=\"{F(lx)}\" y=\"18\" text-anchor=\"end\" fill=\"{E(s.Color)}\">— {E(s.Name)}</text>");
            lx -= 6.2 * (s.Name.Length + 2) + 12;
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>Heckbert's loose labelling: ticks at 1, 2 or 5 × 10^k covering [min, max].</summary>
    public static double[] Ticks(double min, double max, int count)
    {
        var step = Nice((max - min) / Math.Max(1, count - 1), true);
        var start = Math.Floor(min / step) * step;
        var end = Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        var digits = Math.Clamp(-(int)Math.Floor(Math.Log10(step)), 0, 15);
        for (var i = 0; start + i * step <= end + step * 0.5; i++) ticks.Add(Math.Round(start + i * step, digits));
        return ticks.ToArray();
    }

    private static double Nice(double x, bool round)
    {
        var exp = Math.Floor(Math.Log10(x));
        var f = x / Math.Pow(10, exp);
        double nf = round ? (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) : (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10);
        return nf * Math.Pow(10, exp);
    }

    private static string Label(double v)
    {
        var a = Math.Abs(v);
        if (a == 0) return "0";
        if (a >= 10_000) return (v / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k";
        if (a >= 100) return v.ToString("0", CultureInfo.InvariantCulture);
        if (a >= 1) return v.ToString("0.##", CultureInfo.InvariantCulture);
        if (a >= 0.001) return v.ToString("0.###", CultureInfo.InvariantCulture);
        return v.ToString("0.#e0", CultureInfo.InvariantCulture);
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
