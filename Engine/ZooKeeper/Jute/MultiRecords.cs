namespace QuorumPortal.Engine.ZooKeeper.Jute;

/// <summary>Precedes each op and each result of a multi; <c>{-1, true, -1}</c> ends the list.</summary>
public readonly record struct MultiHeader(int Type, bool Done, int Err) : IJuteRecord<MultiHeader>
{
    public static MultiHeader End { get; } = new(-1, true, -1);

    public void Write(JuteWriter writer)
    {
        writer.WriteInt(Type);
        writer.WriteBool(Done);
        writer.WriteInt(Err);
    }

    public static MultiHeader Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadBool(), reader.ReadInt());
}

/// <summary>One op of a multi: create (<see cref="CreateRequest"/>), delete, setData or check.</summary>
public sealed record MultiRequestOp(OpCode Type, IJuteRecord Body);

public sealed record MultiRequest(IReadOnlyList<MultiRequestOp> Ops) : IJuteRecord<MultiRequest>
{
    public void Write(JuteWriter writer)
    {
        foreach (var op in Ops)
        {
            new MultiHeader((int)op.Type, false, -1).Write(writer);
            op.Body.Write(writer);
        }

        MultiHeader.End.Write(writer);
    }

    public static MultiRequest Read(ref JuteReader reader)
    {
        var ops = new List<MultiRequestOp>();
        for (var header = MultiHeader.Read(ref reader); !header.Done; header = MultiHeader.Read(ref reader))
        {
            IJuteRecord body = (OpCode)header.Type switch
            {
                OpCode.Create or OpCode.Create2 => CreateRequest.Read(ref reader),
                OpCode.Delete => DeleteRequest.Read(ref reader),
                OpCode.SetData => SetDataRequest.Read(ref reader),
                OpCode.Check => CheckVersionRequest.Read(ref reader),
                _ => throw new InvalidDataException($"jute: op type {header.Type} is not allowed in multi"),
            };
            ops.Add(new MultiRequestOp((OpCode)header.Type, body));
        }

        return new MultiRequest(ops);
    }
}

/// <summary>One result of a multi. <see cref="Type"/> is <see cref="OpCode.Error"/> for every op when the multi failed.</summary>
public sealed record MultiResult(OpCode Type, int Err, IJuteRecord? Body);

public sealed record MultiResponse(IReadOnlyList<MultiResult> Results) : IJuteRecord<MultiResponse>
{
    public void Write(JuteWriter writer)
    {
        foreach (var result in Results)
        {
            new MultiHeader((int)result.Type, false, result.Err).Write(writer);
            result.Body?.Write(writer);
        }

        MultiHeader.End.Write(writer);
    }

    public static MultiResponse Read(ref JuteReader reader)
    {
        var results = new List<MultiResult>();
        for (var header = MultiHeader.Read(ref reader); !header.Done; header = MultiHeader.Read(ref reader))
        {
            IJuteRecord? body = (OpCode)header.Type switch
            {
                OpCode.Create => CreateResponse.Read(ref reader),
                OpCode.Create2 => Create2Response.Read(ref reader),
                OpCode.Delete or OpCode.Check => null,
                OpCode.SetData => StatResponse.Read(ref reader),
                OpCode.GetData => GetDataResponse.Read(ref reader),
                OpCode.GetChildren => GetChildrenResponse.Read(ref reader),
                OpCode.Error => ErrorResponse.Read(ref reader),
                _ => throw new InvalidDataException($"jute: unknown multi result type {header.Type}"),
            };
            results.Add(new MultiResult((OpCode)header.Type, header.Err, body));
        }

        return new MultiResponse(results);
    }
}
