// A C consumer subscribes to a new topic of 3 partitions, the topic is deleted, and the program
// times rd_kafka_consumer_close() and rd_kafka_destroy() (a watchdog ends it after 90 s).
// Build against the system librdkafka or the pinned one, run with a broker's bootstrap servers:
//   gcc -O1 -o d destroy-after-topic-deletion.c $(pkg-config --cflags --libs rdkafka) && ./d 127.0.0.1:PORT
// Results: destroy-after-topic-deletion.txt.
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
static void on_alarm(int s){(void)s;fprintf(stderr,"HANG: watchdog fired\n");_exit(3);}
static rd_kafka_t* mk(rd_kafka_type_t type,const char*servers,const char*group){
  char e[512]; rd_kafka_conf_t*c=rd_kafka_conf_new();
  rd_kafka_conf_set(c,"bootstrap.servers",servers,e,sizeof e);
  if(group){rd_kafka_conf_set(c,"group.id",group,e,sizeof e);rd_kafka_conf_set(c,"auto.offset.reset","earliest",e,sizeof e);}
  rd_kafka_t*rk=rd_kafka_new(type,c,e,sizeof e); if(!rk){fprintf(stderr,"%s\n",e);exit(1);} return rk;}
static void admin(rd_kafka_t*rk,const char*topic,int create){
  rd_kafka_queue_t*q=rd_kafka_queue_new(rk);
  if(create){char e[256];rd_kafka_NewTopic_t*t=rd_kafka_NewTopic_new(topic,3,1,e,sizeof e);rd_kafka_CreateTopics(rk,&t,1,NULL,q);rd_kafka_NewTopic_destroy(t);}
  else{rd_kafka_DeleteTopic_t*t=rd_kafka_DeleteTopic_new(topic);rd_kafka_DeleteTopics(rk,&t,1,NULL,q);rd_kafka_DeleteTopic_destroy(t);}
  rd_kafka_event_t*ev=rd_kafka_queue_poll(q,30000); printf("%s: %s\n",create?"create":"delete",ev?rd_kafka_event_error_string(ev):"timeout"); if(ev)rd_kafka_event_destroy(ev); rd_kafka_queue_destroy(q);}
int main(int argc,char**argv){
  const char*servers=argv[1]; char topic[64],group[64]; snprintf(topic,64,"hang-%ld",(long)time(NULL)); snprintf(group,64,"g-%s",topic);
  printf("librdkafka %s\n",rd_kafka_version_str());
  rd_kafka_t*p=mk(RD_KAFKA_PRODUCER,servers,NULL); admin(p,topic,1); sleep(2);
  rd_kafka_t*c=mk(RD_KAFKA_CONSUMER,servers,group); rd_kafka_poll_set_consumer(c);
  rd_kafka_topic_partition_list_t*l=rd_kafka_topic_partition_list_new(1); rd_kafka_topic_partition_list_add(l,topic,RD_KAFKA_PARTITION_UA); rd_kafka_subscribe(c,l); rd_kafka_topic_partition_list_destroy(l);
  double t0=now(); for(;;){ rd_kafka_message_t*m=rd_kafka_consumer_poll(c,200); if(m)rd_kafka_message_destroy(m); rd_kafka_topic_partition_list_t*a=NULL; rd_kafka_assignment(c,&a); int n=a->cnt; rd_kafka_topic_partition_list_destroy(a); if(n==3)break; if(now()-t0>60){printf("not assigned\n");return 1;} }
  printf("assigned after %.1f s\n",now()-t0);
  admin(p,topic,0);
  t0=now(); while(now()-t0<5){ rd_kafka_message_t*m=rd_kafka_consumer_poll(c,200); if(m){ if(m->err) printf("consumer event: %s\n",rd_kafka_message_errstr(m)); rd_kafka_message_destroy(m);} }
  signal(SIGALRM,on_alarm); alarm(90);
  t0=now(); rd_kafka_resp_err_t err=rd_kafka_consumer_close(c); printf("consumer_close: %s in %.2f s\n",rd_kafka_err2str(err),now()-t0);
  t0=now(); rd_kafka_destroy(c); printf("destroy in %.2f s\n",now()-t0);
  rd_kafka_destroy(p); return 0;}
