namespace QuorumPortal.Engine.ZooKeeper.Probes;

public sealed partial class ZooKeeperProbe
{
    /// <summary>
    /// One round's answers and the raw text made of them: <c>&lt;first&gt;:\n…\n&lt;second&gt;:\n…\nconf:\n…</c>. The
    /// second (mntr, ~17 KB) stays in its pooled buffer until it is decoded straight into the raw text, which its
    /// parser then reads in place: one copy of the largest answer per probe instead of three.
    /// </summary>
    private sealed class Answers(string firstName, string firstText, string secondName, PooledAnswer? second)
    {
        private readonly string _firstName = firstName;
        private readonly string _firstText = firstText;
        private readonly string _secondName = secondName;
        private readonly PooledAnswer? _second = second;

        public PooledAnswer? Second => _second;

        /// <summary>The raw text of the first answer alone, for a status that ends before the others came.</summary>
        public string First => string.Concat(_firstName, ":\n", _firstText);

        /// <summary>All answers in one string; <paramref name="secondRange"/> is where the second one is.</summary>
        public string Join(ConfAnswer? conf, out Range secondRange)
        {
            var confHeader = conf is null ? "" : conf.Cached is null ? "\nconf:\n" : "\nconf (cached):\n";
            var secondStart = _firstName.Length + 2 + _firstText.Length + (_second is null ? 0 : _secondName.Length + 3);
            var secondLength = _second?.CharCount ?? 0;
            secondRange = secondStart..(secondStart + secondLength);
            var length = secondStart + secondLength + confHeader.Length + (conf?.Text.Length ?? 0);
            return string.Create(length, (Answers: this, ConfHeader: confHeader, Conf: conf?.Text), static (span, state) =>
            {
                var (answers, confHeader, conf) = state;
                var at = Append(span, 0, answers._firstName);
                at = Append(span, at, ":\n");
                at = Append(span, at, answers._firstText);
                if (answers._second is { } second)
                {
                    at = Append(span, at, "\n");
                    at = Append(span, at, answers._secondName);
                    at = Append(span, at, ":\n");
                    at += second.DecodeInto(span[at..]);
                }

                at = Append(span, at, confHeader);
                Append(span, at, conf);
            });
        }

        private static int Append(Span<char> destination, int at, string? text)
        {
            text.AsSpan().CopyTo(destination[at..]);
            return at + (text?.Length ?? 0);
        }
    }
}
