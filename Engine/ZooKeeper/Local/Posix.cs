using System.Runtime.InteropServices;

namespace QuorumPortal.Engine.ZooKeeper.Local;

/// <summary>The few POSIX process calls the supervisor needs (Linux).</summary>
internal static class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Sends <paramref name="signal"/>; false when the process is gone.</summary>
    public static bool Signal(int pid, int signal)
    {
        if (Kill(pid, signal) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == NoSuchProcess ? false : throw new IOException($"kill({pid}, {signal}) failed (errno {errno})");
    }

    /// <summary>The process exists and is not a zombie.</summary>
    /// <remarks>
    /// A zombie leader with live threads is still alive: when a JVM shuts down, its first thread can exit before
    /// the others, which keep the process's sockets open until they are done.
    /// </remarks>
    public static bool IsAlive(int pid) => ProcessState(pid) switch
    {
        null or 'X' or 'x' => false,
        'Z' => TaskCount(pid) > 1,
        _ => true,
    };

    private static int TaskCount(int pid)
    {
        try
        {
            return Directory.GetDirectories($"/proc/{pid}/task").Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>The state letter of /proc/&lt;pid&gt;/stat (R, S, T for stopped, Z for zombie …); null when gone.</summary>
    public static char? ProcessState(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')'); // the command name may hold spaces and parentheses
            return close > 0 && close + 2 < stat.Length ? stat[close + 2] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The arguments of a running process (/proc/&lt;pid&gt;/cmdline); empty when gone.</summary>
    public static IReadOnlyList<string> CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
