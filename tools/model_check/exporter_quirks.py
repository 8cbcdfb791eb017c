#!/usr/bin/python3
"""Generates small CNNs with the quirks real exporters emit, for tests/apps/exporter_quirks_test.cc.

Usage: exporter_quirks.py OUT_DIR   (Debian's python3-onnx; writes VARIANT_opN.onnx for N in 7..17)

Every model has a symbolic batch 'N' and a head that computes its Reshape target at run time
(Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as PyTorch's exporter writes x.view(x.size(0), -1)),
Softmax with the opset's axis rule, and BatchNormalization left unfolded. Variants:
  base    Conv-BN-ReLU, depthwise + pointwise with a residual Add, MaxPool with pads, Gemm(transB) head
  nhwc    NHWC input with a Transpose (TensorFlow exports), auto_pad SAME_UPPER, ReLU6 as Clip
          (attributes before opset 11, tensor inputs from 11), AveragePool, MatMul + Add head
  swish   x * Sigmoid(x) activations;  hswish  x * HardSigmoid(x);  leaky  LeakyRelu
  resize  Upsample (opsets 7-9, attribute then input scales), Resize-10, Resize-11+ with an empty roi
  concat  a two-branch Concat (Inception-style)
  tf      TensorFlow-style: NHWC + Transpose, explicit Pad before a VALID conv, BN as Mul + Add of
          Constant nodes, Identity and Dropout left in, ReduceMean(keepdims=0) + MatMul head
  shuffle ShuffleNetV2's chunk (Split with sizes from Shape at opset 13+) and channel shuffle
          (view / transpose / view with every size read from Shape at run time)
  fp16    'base' converted for FP16 deployment (FP16 weights, input and output), opsets 11/13/17
Weights are seeded: the same models every run.
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh
rng = np.random.default_rng(0)
def W(name, *shape, scale=0.2): return nh.from_array((rng.standard_normal(shape)*scale).astype(np.float32), name)
def I64(name, v): return nh.from_array(np.array(v, dtype=np.int64), name)
def F(name, v): return nh.from_array(np.array(v, dtype=np.float32), name)

def model(variant, opset):
    nodes=[]; inits=[]; c=[0]
    def nm(p): c[0]+=1; return f"{p}{c[0]}"
    def conv(x, cin, cout, k=3, s=1, g=1, pad=None, autopad=None, bias=True):
        w=nm('w'); inits.append(W(w, cout, cin//g, k, k)); ins=[x,w]
        if bias: b=nm('b'); inits.append(W(b, cout)); ins.append(b)
        y=nm('conv'); attrs=dict(kernel_shape=[k,k], strides=[s,s], group=g)
        if autopad: attrs['auto_pad']=autopad
        else: attrs['pads']=[k//2]*4 if pad is None else pad
        nodes.append(h.make_node('Conv', ins, [y], name=y, **attrs)); return y
    def bn(x, ch):
        names=[nm(p) for p in ('s','bb','m','v')]
        inits.extend([W(names[0],ch,scale=0.1), W(names[1],ch), W(names[2],ch), nh.from_array((rng.random(ch)+0.5).astype(np.float32),names[3])])
        y=nm('bn'); nodes.append(h.make_node('BatchNormalization',[x]+names,[y],name=y,epsilon=1e-3)); return y
    def act(x, kind):
        y=nm(kind)
        if kind=='relu': nodes.append(h.make_node('Relu',[x],[y],name=y))
        elif kind=='relu6':
            if opset>=11:
                lo,hi=nm('lo'),nm('hi'); inits.extend([F(lo,0.0),F(hi,6.0)]); nodes.append(h.make_node('Clip',[x,lo,hi],[y],name=y))
            else: nodes.append(h.make_node('Clip',[x],[y],name=y,min=0.0,max=6.0))
        elif kind=='swish':
            s=nm('sig'); nodes.append(h.make_node('Sigmoid',[x],[s],name=s)); nodes.append(h.make_node('Mul',[x,s],[y],name=y))
        elif kind=='hswish':
            s=nm('hsig'); nodes.append(h.make_node('HardSigmoid',[x],[s],name=s,alpha=1/6,beta=0.5)); nodes.append(h.make_node('Mul',[x,s],[y],name=y))
        elif kind=='leaky': nodes.append(h.make_node('LeakyRelu',[x],[y],name=y,alpha=0.1))
        return y
    x='input'; H=32
    if variant in ('nhwc','tf'):
        inp=h.make_tensor_value_info('input',T.FLOAT,['N',H,H,3]); t=nm('tr'); nodes.append(h.make_node('Transpose',['input'],[t],name=t,perm=[0,3,1,2])); x=t
    else:
        inp=h.make_tensor_value_info('input',T.FLOAT,['N',3,H,H])
    a = {'nhwc':'relu6','base':'relu','swish':'swish','hswish':'hswish','leaky':'leaky','resize':'relu','concat':'relu','tf':'relu6','shuffle':'relu'}[variant]
    x=act(bn(conv(x,3,16,bias=False, autopad=('SAME_UPPER' if variant=='nhwc' else None), s=2),16),a)   # 16x16
    # depthwise + pointwise
    y=act(bn(conv(x,16,16,g=16,bias=False),16),a); y=bn(conv(y,16,16,k=1,bias=False),16)
    r=nm('add'); nodes.append(h.make_node('Add',[x,y],[r],name=r)); x=act(r,'relu')
    if variant=='concat':
        b1=act(conv(x,16,8,k=1),a); b2=act(conv(x,16,8,k=3),a); cc=nm('cat'); nodes.append(h.make_node('Concat',[b1,b2],[cc],name=cc,axis=1)); x=cc
    if variant=='tf':
        # TensorFlow-style: explicit Pad then a VALID conv, BN folded to Mul + Add whose constants are
        # Constant nodes, Identity and Dropout left in the graph.
        pd=nm('pad')
        if opset>=11:
            pads=nm('pads'); inits.append(I64(pads,[0,0,1,1,0,0,1,1])); nodes.append(h.make_node('Pad',[x,pads],[pd],name=pd,mode='constant'))
        else: nodes.append(h.make_node('Pad',[x],[pd],name=pd,mode='constant',pads=[0,0,1,1,0,0,1,1]))
        cv=conv(pd,16,16,pad=[0,0,0,0])
        sc=nm('scale'); bi=nm('shift')
        nodes.append(h.make_node('Constant',[],[sc],name=sc,value=W(sc+'_t',1,16,1,1,scale=0.5)))
        nodes.append(h.make_node('Constant',[],[bi],name=bi,value=W(bi+'_t',1,16,1,1)))
        mu=nm('mul'); ad=nm('addb'); nodes.append(h.make_node('Mul',[cv,sc],[mu],name=mu)); nodes.append(h.make_node('Add',[mu,bi],[ad],name=ad))
        idn=nm('ident'); nodes.append(h.make_node('Identity',[ad],[idn],name=idn))
        dr=nm('drop'); nodes.append(h.make_node('Dropout',[idn],[dr],name=dr))
        x=act(dr,'relu')
    def shuffle_block(x):
        # ShuffleNetV2 as PyTorch exports it: x.chunk(2, dim=1) (a Split, its sizes from the shape
        # at opset 13+), a branch, Concat, then the channel shuffle x.view(n, g, c // g, h, w) ->
        # transpose(1, 2) -> view(n, -1, h, w), every size read from Shape(x) at run time.
        sp1, sp2 = nm('chunk_a'), nm('chunk_b')
        if opset>=13:
            sh=nm('cshape'); nodes.append(h.make_node('Shape',[x],[sh],name=sh))
            i1=nm('i1'); inits.append(I64(i1,[1])); c1=nm('c'); nodes.append(h.make_node('Gather',[sh,i1],[c1],name=c1,axis=0))
            two=nm('two'); inits.append(I64(two,[2])); hc=nm('half'); nodes.append(h.make_node('Div',[c1,two],[hc],name=hc))
            sz=nm('sizes'); nodes.append(h.make_node('Concat',[hc,hc],[sz],name=sz,axis=0))
            nodes.append(h.make_node('Split',[x,sz],[sp1,sp2],name=nm('split'),axis=1))
        else:
            nodes.append(h.make_node('Split',[x],[sp1,sp2],name=nm('split'),axis=1,split=[8,8]))
        br=act(conv(sp2,8,8,k=1),a)
        cat=nm('cat'); nodes.append(h.make_node('Concat',[sp1,br],[cat],name=cat,axis=1))
        sh=nm('shape'); nodes.append(h.make_node('Shape',[cat],[sh],name=sh))
        dims=[]
        for k in range(4):
            ik=nm('idx'); inits.append(I64(ik,k)); gk=nm('dim'); nodes.append(h.make_node('Gather',[sh,ik],[gk],name=gk,axis=0)); dims.append(gk)
        g2=nm('groups'); inits.append(I64(g2,2)); cpg=nm('cpg'); nodes.append(h.make_node('Div',[dims[1],g2],[cpg],name=cpg))
        def unsq(v):
            u=nm('u')
            if opset>=13: ax=nm('ax'); inits.append(I64(ax,[0])); nodes.append(h.make_node('Unsqueeze',[v,ax],[u],name=u))
            else: nodes.append(h.make_node('Unsqueeze',[v],[u],name=u,axes=[0]))
            return u
        t5=nm('t5'); nodes.append(h.make_node('Concat',[unsq(dims[0]),unsq(g2),unsq(cpg),unsq(dims[2]),unsq(dims[3])],[t5],name=t5,axis=0))
        r5=nm('view5'); nodes.append(h.make_node('Reshape',[cat,t5],[r5],name=r5))
        tr=nm('transpose'); nodes.append(h.make_node('Transpose',[r5],[tr],name=tr,perm=[0,2,1,3,4]))
        m1=nm('m1'); inits.append(I64(m1,[-1]))
        t4=nm('t4'); nodes.append(h.make_node('Concat',[unsq(dims[0]),m1,unsq(dims[2]),unsq(dims[3])],[t4],name=t4,axis=0))
        x=nm('view4'); nodes.append(h.make_node('Reshape',[tr,t4],[x],name=x))
        return x
    if variant=='shuffle':
        for _ in range(20):   # ShuffleNetV2 stacks 16 such blocks
            x=shuffle_block(x)
    p=nm('pool')
    if variant in ('nhwc','swish'): nodes.append(h.make_node('AveragePool',[x],[p],name=p,kernel_shape=[2,2],strides=[2,2]))
    else: nodes.append(h.make_node('MaxPool',[x],[p],name=p,kernel_shape=[3,3],strides=[2,2],pads=[1,1,1,1]))
    x=p  # 8x8
    x=act(conv(x,16,32,s=1),a)
    if variant=='resize':
        u=nm('up')
        if opset<10:
            if opset>=9: sc=nm('sc'); inits.append(F(sc,[1,1,2,2])); nodes.append(h.make_node('Upsample',[x,sc],[u],name=u,mode='nearest'))
            else: nodes.append(h.make_node('Upsample',[x],[u],name=u,mode='nearest',scales=[1.0,1.0,2.0,2.0]))
        elif opset==10: sc=nm('sc'); inits.append(F(sc,[1,1,2,2])); nodes.append(h.make_node('Resize',[x,sc],[u],name=u,mode='nearest'))
        else:
            roi=nm('roi'); sc=nm('sc'); inits.extend([F(roi,[]), F(sc,[1,1,2,2])]); nodes.append(h.make_node('Resize',[x,roi,sc],[u],name=u,mode='nearest'))
        x=act(conv(u,32,32,k=3,s=2),a)
    if variant=='tf':
        # ReduceMean over H, W without keepdims (axes as an attribute before opset 18), then the head.
        rm=nm('mean'); nodes.append(h.make_node('ReduceMean',[x],[rm],name=rm,axes=[2,3],keepdims=0))
        w=nm('fcw'); b=nm('fcb'); inits.extend([W(w,32,10), W(b,10)]); mm=nm('mm'); nodes.append(h.make_node('MatMul',[rm,w],[mm],name=mm))
        o=nm('fcadd'); nodes.append(h.make_node('Add',[mm,b],[o],name=o))
        nodes.append(h.make_node('Softmax',[o],['output'],name='softmax',axis=1 if opset<13 else -1))
        out=h.make_tensor_value_info('output',T.FLOAT,['N',10])
        gr=h.make_graph(nodes,f'{variant}_op{opset}',[inp],[out],inits)
        m=h.make_model(gr,opset_imports=[h.make_opsetid('',opset)], producer_name='gen')
        m.ir_version=min(m.ir_version, 8 if opset>=15 else 7 if opset>=12 else 5 if opset>=10 else 4)
        return m
    g=nm('gap'); nodes.append(h.make_node('GlobalAveragePool',[x],[g],name=g))
    # Shape -> Gather -> Unsqueeze -> Concat -> Reshape
    sh=nm('shape'); nodes.append(h.make_node('Shape',[g],[sh],name=sh))
    i0=nm('i0'); inits.append(I64(i0,0)); ga=nm('gather'); nodes.append(h.make_node('Gather',[sh,i0],[ga],name=ga,axis=0))
    us=nm('unsq')
    if opset>=13: ax=nm('ax'); inits.append(I64(ax,[0])); nodes.append(h.make_node('Unsqueeze',[ga,ax],[us],name=us))
    else: nodes.append(h.make_node('Unsqueeze',[ga],[us],name=us,axes=[0]))
    m1=nm('m1'); inits.append(I64(m1,[-1])); cs=nm('cshape'); nodes.append(h.make_node('Concat',[us,m1],[cs],name=cs,axis=0))
    fl=nm('flat'); nodes.append(h.make_node('Reshape',[g,cs],[fl],name=fl))
    if variant in ('base','concat'):
        w=nm('fcw'); b=nm('fcb'); inits.extend([W(w,10,32), W(b,10)]); o=nm('fc'); nodes.append(h.make_node('Gemm',[fl,w,b],[o],name=o,transB=1))
    else:
        w=nm('fcw'); b=nm('fcb'); inits.extend([W(w,32,10), W(b,10)]); mm=nm('mm'); nodes.append(h.make_node('MatMul',[fl,w],[mm],name=mm)); o=nm('fcadd'); nodes.append(h.make_node('Add',[mm,b],[o],name=o))
    sm='output'; nodes.append(h.make_node('Softmax',[o],[sm],name='softmax',axis=1 if opset<13 else -1))
    out=h.make_tensor_value_info('output',T.FLOAT,['N',10])
    gr=h.make_graph(nodes,f'{variant}_op{opset}',[inp],[out],inits)
    m=h.make_model(gr,opset_imports=[h.make_opsetid('',opset)], producer_name='gen')
    m.ir_version=min(m.ir_version, 8 if opset>=15 else 7 if opset>=12 else 5 if opset>=10 else 4)
    return m
def to_fp16(m):
    g = m.graph
    inits = [nh.from_array(nh.to_array(i).astype(np.float16) if nh.to_array(i).dtype == np.float32 else nh.to_array(i), i.name)
             for i in g.initializer]
    del g.initializer[:]
    g.initializer.extend(inits)
    for v in list(g.input) + list(g.output):
        if v.type.tensor_type.elem_type == T.FLOAT:
            v.type.tensor_type.elem_type = T.FLOAT16
    return m


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    n = 0
    for v in ['base', 'nhwc', 'swish', 'hswish', 'leaky', 'resize', 'concat', 'tf', 'shuffle']:
        for op in [7, 9, 10, 11, 13, 17]:
            m = model(v, op)
            onnx.checker.check_model(m)
            onnx.save(m, f'{out}/{v}_op{op}.onnx')
            n += 1
    # FP16 deployment copies (as onnxconverter-common's float16 conversion writes them): weights,
    # input and output in FP16.
    for op in [11, 13, 17]:
        m = to_fp16(model('base', op))
        onnx.checker.check_model(m)
        onnx.save(m, f'{out}/fp16_op{op}.onnx')
        n += 1
    print(f'{n} models in {out}')


if __name__ == '__main__':
    main()
