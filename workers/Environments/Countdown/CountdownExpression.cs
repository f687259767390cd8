using System.Globalization;
using System.Numerics;

namespace AgentOps.Workers.Environments.Countdown;

/// <summary>
/// Parses and evaluates a countdown answer exactly: integers, + - * /, parentheses, unary minus not allowed
/// (the game's rules). Division is over rationals, so "7/2*2" is 7. Collects the integers used.
/// </summary>
public sealed class CountdownExpression
{
    private readonly string _s;
    private int _i;
    private readonly List<int> _numbers = [];

    private CountdownExpression(string s) => _s = s;

    /// <summary>The value as (numerator, denominator) with a positive denominator, and the integers used.</summary>
    public sealed record Result(BigInteger Numerator, BigInteger Denominator, IReadOnlyList<int> Numbers)
    {
        public bool IsInteger(out BigInteger value)
        {
            value = Denominator.IsOne ? Numerator : BigInteger.Zero;
            return Denominator.IsOne;
        }
    }

    /// <summary>Returns null and a reason when the text is not a well-formed expression or divides by zero.</summary>
    public static Result? TryParse(string text, out string error)
    {
        var p = new CountdownExpression(text);
        try
        {
            var (n, d) = p.Sum();
            p.SkipSpaces();
            if (p._i != p._s.Length) throw new FormatException($"unexpected '{p._s[p._i]}' at position {p._i}");
            error = "";
            return new Result(n, d, p._numbers);
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    private (BigInteger, BigInteger) Sum()
    {
        var acc = Product();
        while (true)
        {
            SkipSpaces();
            if (_i >= _s.Length || (_s[_i] != '+' && _s[_i] != '-')) return acc;
            var op = _s[_i++];
            var rhs = Product();
            acc = op == '+' ? Add(acc, rhs) : Add(acc, (-rhs.Item1, rhs.Item2));
        }
    }

    private (BigInteger, BigInteger) Product()
    {
        var acc = Atom();
        while (true)
        {
            SkipSpaces();
            if (_i >= _s.Length || (_s[_i] != '*' && _s[_i] != '/')) return acc;
            var op = _s[_i++];
            var rhs = Atom();
            if (op == '*') acc = Normalize(acc.Item1 * rhs.Item1, acc.Item2 * rhs.Item2);
            else if (rhs.Item1.IsZero) throw new FormatException("division by zero");
            else acc = Normalize(acc.Item1 * rhs.Item2, acc.Item2 * rhs.Item1);
        }
    }

    private (BigInteger, BigInteger) Atom()
    {
        SkipSpaces();
        if (_i >= _s.Length) throw new FormatException("expression ends early");
        if (_s[_i] == '(')
        {
            _i++;
            var v = Sum();
            SkipSpaces();
            if (_i >= _s.Length || _s[_i] != ')') throw new FormatException($"missing ')' at position {_i}");
            _i++;
            return v;
        }
        var start = _i;
        while (_i < _s.Length && char.IsAsciiDigit(_s[_i])) _i++;
        if (start == _i) throw new FormatException($"expected a number at position {start}");
        if (_i - start > 6) throw new FormatException($"number too long at position {start}");
        var n = int.Parse(_s.AsSpan(start, _i - start), CultureInfo.InvariantCulture);
        _numbers.Add(n);
        return (n, BigInteger.One);
    }

    private void SkipSpaces()
    {
        while (_i < _s.Length && _s[_i] == ' ') _i++;
    }

    private static (BigInteger, BigInteger) Add((BigInteger, BigInteger) a, (BigInteger, BigInteger) b) =>
        Normalize(a.Item1 * b.Item2 + b.Item1 * a.Item2, a.Item2 * b.Item2);

    private static (BigInteger, BigInteger) Normalize(BigInteger n, BigInteger d)
    {
        if (d.Sign < 0) { n = -n; d = -d; }
        var g = BigInteger.GreatestCommonDivisor(n, d);
        return g.IsOne || g.IsZero ? (n, d) : (n / g, d / g);
    }
}
